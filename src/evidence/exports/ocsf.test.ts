import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry } from '../types.ts';
import { OCSF_VERSION, ocsfClassOf, toOcsf } from './ocsf.ts';

const base: AuditEntry = {
  v: 1,
  index: 7,
  time: '2025-03-01T12:00:00.000Z',
  type: 'request.completed',
  outcome: 'allow',
  requestId: 'req-7',
  traceId: 'ab'.repeat(16),
  principal: { kind: 'client', id: 'svc-a', credentialId: 'key-1' },
  detail: { surface: 'openai', operation: 'chat', trail: [{ stage: 'authenticate', outcome: 'allow' }] },
};

function commonChecks(o: Record<string, unknown>, e: AuditEntry) {
  assert.equal(o['type_uid'], (o['class_uid'] as number) * 100 + (o['activity_id'] as number));
  assert.equal(o['time'], Date.parse(e.time));
  const md = o['metadata'] as Record<string, unknown>;
  assert.equal(md['version'], OCSF_VERSION);
  assert.deepEqual(md['product'], { name: 'airlock', vendor_name: 'airlock', version: '0.1.0' });
  assert.equal(md['uid'], String(e.index));
  assert.deepEqual((o['unmapped'] as Record<string, unknown>)['detail'], e.detail);
}

test('ocsf: request.completed allow → API Activity 6003 Create, Success', () => {
  const o = toOcsf(base, '0.1.0');
  assert.equal(o['class_uid'], 6003);
  assert.equal(o['category_uid'], 6);
  assert.equal(o['activity_id'], 1);
  assert.equal(o['status_id'], 1);
  assert.equal(o['severity_id'], 1);
  assert.deepEqual(o['api'], { operation: 'chat', request: { uid: 'req-7' }, service: { name: 'openai' } });
  assert.deepEqual(o['actor'], {
    user: { uid: 'svc-a', credential_uid: 'key-1', type_id: 99, type: 'client' },
  });
  commonChecks(o, base);
});

test('ocsf: models is Read, admin.keys.revoke is Delete, denial is Failure with its code', () => {
  assert.equal(toOcsf({ ...base, detail: { operation: 'models' } }, 'v')['activity_id'], 2);
  const revoke = toOcsf(
    { ...base, outcome: 'deny', code: 'admin_forbidden', detail: { operation: 'admin.keys.revoke' } },
    'v',
  );
  assert.equal(revoke['activity_id'], 4);
  assert.equal(revoke['type_uid'], 600304);
  assert.equal(revoke['status_id'], 2);
  assert.equal(revoke['status_code'], 'admin_forbidden');
});

test('ocsf: a request denied at authenticate → Authentication 3002 Logon failure', () => {
  const e: AuditEntry = {
    ...base,
    outcome: 'deny',
    code: 'invalid_api_key',
    principal: undefined,
    detail: {
      surface: 'openai',
      trail: [
        {
          stage: 'authenticate',
          outcome: 'deny',
          code: 'invalid_api_key',
          detail: { credentialPrefix: 'alk_ab' },
        },
      ],
    },
  };
  assert.equal(ocsfClassOf(e), 3002);
  const o = toOcsf(e, '0.1.0');
  assert.equal(o['category_uid'], 3);
  assert.equal(o['type_uid'], 300201);
  assert.equal(o['status_id'], 2);
  assert.equal(o['status_detail'], 'invalid_api_key');
  assert.deepEqual(o['user'], { type_id: 0, type: 'Unknown' });
  assert.ok(!JSON.stringify(o['user']).includes('alk_ab'), 'nothing invented from the trail');
  commonChecks(o, e);
});

test('ocsf: auth.success → Authentication Success with the principal as user', () => {
  const e: AuditEntry = { ...base, type: 'auth.success', detail: {} };
  const o = toOcsf(e, '0.1.0');
  assert.equal(o['class_uid'], 3002);
  assert.equal(o['status_id'], 1);
  assert.deepEqual(o['user'], { uid: 'svc-a', credential_uid: 'key-1', type_id: 99, type: 'client' });
});

test('ocsf: inspect.finding → Data Security Finding 2006 with finding types', () => {
  const e: AuditEntry = {
    ...base,
    type: 'inspect.finding',
    outcome: 'deny',
    detail: {
      stage: 'inspect-in',
      findings: [
        { type: 'aws_access_key', count: 1 },
        { type: 'email', count: 2 },
      ],
    },
  };
  const o = toOcsf(e, '0.1.0');
  assert.equal(o['class_uid'], 2006);
  assert.equal(o['category_uid'], 2);
  assert.equal(o['type_uid'], 200601);
  assert.equal(o['is_alert'], true);
  const fi = o['finding_info'] as Record<string, unknown>;
  assert.equal(fi['uid'], 'airlock-audit-7');
  assert.deepEqual(fi['types'], ['aws_access_key', 'email']);
  commonChecks(o, e);
});

test('ocsf: other types → Base Event with everything in unmapped', () => {
  const e: AuditEntry = { ...base, type: 'key.created', outcome: 'info', detail: { keyId: 'k' } };
  const o = toOcsf(e, '0.1.0');
  assert.equal(o['class_uid'], 0);
  assert.equal(o['type_uid'], 99);
  assert.equal((o['unmapped'] as Record<string, unknown>)['type'], 'key.created');
  commonChecks(o, e);
});
