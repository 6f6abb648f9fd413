import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { summarizeFindings } from '../dlp/summary.ts';
import { createCedarDecisionPoint } from './cedar-decision-point.ts';
import { defaultPolicySource } from './compile.ts';
import type { DecisionRequest } from './types.ts';

const defaults = defaultPolicySource().text;
const request: DecisionRequest = {
  principal: {
    type: 'ServiceAccount',
    id: 'app',
    attrs: { kind: 'client', scopes: { models: ['*'], endpoints: ['*'] } },
  },
  action: 'chat',
  resource: { type: 'Model', id: 'm', attrs: { alias: 'm', tier: 'standard' } },
};
const pdpWith = (extra: string) =>
  createCedarDecisionPoint({ policies: `${defaults}\n${extra}`, version: 'findings-test', cacheSize: 100 });
const findings = (...f: [string, 'secret' | 'pii' | 'custom'][]) =>
  summarizeFindings(f.map(([type, category]) => ({ type, category })));

describe('context.findings', () => {
  test('summary: distinct sorted types, count, credential and PII flags', () => {
    assert.deepEqual(findings(['EMAIL', 'pii'], ['AWS_ACCESS_KEY', 'secret'], ['EMAIL', 'pii']), {
      types: ['AWS_ACCESS_KEY', 'EMAIL'],
      count: 3,
      hasCredential: true,
      hasPii: true,
    });
  });

  test('a policy reads types without a `has` guard; absent findings are the empty summary', () => {
    const pdp = pdpWith(`@id("no-email") forbid (principal, action, resource)
      when { context.findings.types.contains("EMAIL") };`);
    assert.equal(pdp.decide(request).kind, 'allow');
    assert.equal(pdp.decide({ ...request, context: { findings: findings(['IBAN', 'pii']) } }).kind, 'allow');
    const d = pdp.decide({ ...request, context: { findings: findings(['EMAIL', 'pii']) } });
    assert.equal(d.kind, 'deny');
    assert.deepEqual(d.policies, ['no-email']);
  });

  test('flags and count are readable too', () => {
    const pdp =
      pdpWith(`@id("creds") forbid (principal, action, resource) when { context.findings.hasCredential };
      @id("many") forbid (principal, action, resource) when { context.findings.count > 5 };`);
    assert.equal(pdp.decide({ ...request, context: { findings: findings(['EMAIL', 'pii']) } }).kind, 'allow');
    assert.deepEqual(
      pdp.decide({ ...request, context: { findings: findings(['GITHUB_PAT', 'secret']) } }).policies,
      ['creds'],
    );
    const six = findings(...Array.from({ length: 6 }, (): [string, 'pii'] => ['EMAIL', 'pii']));
    assert.deepEqual(pdp.decide({ ...request, context: { findings: six } }).policies, ['many']);
  });

  test('cache: keyed only on the summary fields policies read', () => {
    const pdp = pdpWith(`@id("no-email") forbid (principal, action, resource)
      when { context.findings.types.contains("EMAIL") };`);
    const one = findings(['EMAIL', 'pii']);
    const two = findings(['EMAIL', 'pii'], ['EMAIL', 'pii']);
    assert.equal(pdp.decide({ ...request, context: { findings: one } }).cached, false);
    assert.equal(pdp.decide({ ...request, context: { findings: two } }).cached, true, 'count is not read');
    assert.equal(pdp.decide({ ...request, context: { findings: findings(['IBAN', 'pii']) } }).cached, false);
    const slice = pdp.compiled.slices.get('chat')!;
    assert.deepEqual([...((slice.refs.contextAttrs.get('findings') as Set<string>) ?? [])], ['types']);

    // Policies that do not read findings: the cache ignores them entirely.
    const plain = pdpWith('');
    assert.equal(plain.decide({ ...request, context: { findings: one } }).cached, false);
    assert.equal(plain.decide({ ...request, context: { findings: findings(['IBAN', 'pii']) } }).cached, true);
  });

  test('a record used as a whole value is handed over whole', () => {
    const pdp = pdpWith(`@id("exact") forbid (principal, action, resource)
      when { context.findings == { types: ["EMAIL"], count: 1, hasCredential: false, hasPii: true } };`);
    assert.equal(pdp.compiled.slices.get('chat')!.refs.contextAttrs.get('findings'), 'all');
    assert.equal(pdp.decide({ ...request, context: { findings: findings(['EMAIL', 'pii']) } }).kind, 'deny');
    assert.equal(
      pdp.decide({ ...request, context: { findings: findings(['EMAIL', 'pii'], ['X', 'custom']) } }).kind,
      'allow',
    );
  });
});
