// Attack: approving your own request with a second credential. An admin can mint a client key for any
// owner (POST /admin/v1/keys) or rotate anyone's key (and so hold its new secret); the two-person rule
// compared principal ids only, so "request as alt, approve as myself" passed. Each key now records who
// created it, and a decider who created a key of the requester (or the other way round) is refused with
// self_approval_refused; a different admin still decides. Through the real `airlock serve`.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { policyConfigSchema } from '../../src/policy/config.ts';
import { policySourceText } from '../../src/policy/privilege-plane.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import { createKey, mockGatewayConfig, startServe, stopServe } from '../helpers/serve-harness.ts';

const GUARD_POLICY = `
@id("guarded-needs-approval")
@approval("admin")
permit (principal is Airlock::ServiceAccount, action == Airlock::Action::"chat", resource is Airlock::Model)
when { principal.kind == "client" && resource.alias == "guarded" };
`;

describe('self-approval through a key the approver created', () => {
  let dir: string;
  let upstream: MockOpenAiUpstream;
  let child: ChildProcess;
  let url: string;
  let adminUrl: string;
  let adminA: string;
  let adminB: string;
  let adminC: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-selfapprove-'));
    upstream = await startMockOpenAiUpstream({ chunkCount: 2 });
    const config = join(dir, 'airlock.yaml');
    writeFileSync(
      config,
      stringify(
        mockGatewayConfig(
          { mock: upstream.url },
          {
            models: [{ alias: 'guarded', targets: [{ upstream: 'mock', model: 'x' }] }],
            policy: { policies: GUARD_POLICY },
          },
        ),
      ),
    );
    adminA = await createKey(config, '--owner', 'alice', '--admin');
    adminB = await createKey(config, '--owner', 'bob', '--admin');
    adminC = await createKey(config, '--owner', 'carol', '--admin');
    const served = await startServe(config);
    child = served.child;
    url = served.client;
    adminUrl = served.admin;
  });

  after(async () => {
    await stopServe(child);
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = (key: string, method: string, path: string, body?: unknown) =>
    fetch(`${adminUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const chat = (key: string, content: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'guarded', messages: [{ role: 'user', content }] }),
    });
  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  test('admin mints a key for alt, requests as alt, approves as admin → refused; another admin → allowed', async () => {
    const minted = await admin(adminA, 'POST', '/admin/v1/keys', {
      owner: 'alt',
      models: ['guarded'],
      ttl: '1h',
    });
    assert.equal(minted.status, 201);
    const altKey = ((await minted.json()) as { key: string }).key;

    const first = await chat(altKey, 'deploy please');
    assert.equal(first.status, 403);
    const err = ((await first.json()) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'approval_required');
    const id = /apr_[A-Za-z0-9_-]+/.exec(err.message)?.[0];
    assert.ok(id, err.message);

    const self = await admin(adminA, 'POST', `/admin/v1/approvals/${id}/approve`, {});
    assert.equal(self.status, 403, 'the admin who minted alt’s key is alt for the two-person rule');
    assert.equal(await codeOf(self), 'self_approval_refused');
    const denySelf = await admin(adminA, 'POST', `/admin/v1/approvals/${id}/deny`, {});
    assert.equal(await codeOf(denySelf), 'self_approval_refused');

    assert.equal((await admin(adminB, 'POST', `/admin/v1/approvals/${id}/approve`, {})).status, 200);
    assert.equal((await chat(altKey, 'deploy please', { 'x-airlock-approval': id })).status, 200);
  });

  test('revoking the minted key afterwards does not clear the link', async () => {
    const minted = await admin(adminA, 'POST', '/admin/v1/keys', {
      owner: 'alt2',
      models: ['guarded'],
      ttl: '1h',
    });
    const { key, id: keyId } = (await minted.json()) as { key: string; id: string };
    const first = await chat(key, 'again');
    const id = /apr_[A-Za-z0-9_-]+/.exec(
      ((await first.json()) as { error: { message: string } }).error.message,
    )?.[0];
    assert.ok(id);
    assert.equal((await admin(adminA, 'POST', `/admin/v1/keys/${keyId}/revoke`, {})).status < 300, true);
    const self = await admin(adminA, 'POST', `/admin/v1/approvals/${id}/approve`, {});
    assert.equal(await codeOf(self), 'self_approval_refused');
  });

  test('two-person change: an admin who rotated the other admin’s key holds it → refused', async () => {
    const listed = await admin(adminA, 'GET', '/admin/v1/keys?owner=bob');
    const bobKeyId = ((await listed.json()) as { data: { id: string }[] }).data[0]!.id;
    const rotated = await admin(adminA, 'POST', `/admin/v1/keys/${bobKeyId}/rotate`, {});
    assert.equal(rotated.status, 201);
    const bobByAlice = ((await rotated.json()) as { key: string }).key;

    const base = policySourceText(policyConfigSchema.parse({ policies: GUARD_POLICY }), dir);
    const proposed = await admin(adminA, 'POST', '/admin/v1/changes', {
      kind: 'policy',
      content: `${base}\n// a harmless change\n`,
    });
    assert.equal(proposed.status, 201);
    const change = (await proposed.json()) as { id: string };
    const asBob = await admin(bobByAlice, 'POST', `/admin/v1/changes/${change.id}/approve`, {});
    assert.equal(asBob.status, 403, 'alice approving with the bob key she rotated is alice');
    assert.equal(await codeOf(asBob), 'self_approval_refused');
    assert.equal((await admin(adminC, 'POST', `/admin/v1/changes/${change.id}/approve`, {})).status, 200);
  });
});
