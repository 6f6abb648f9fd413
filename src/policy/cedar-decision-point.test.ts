import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCedarDecisionPoint } from './cedar-decision-point.ts';
import { defaultPolicySource } from './compile.ts';
import type { DecisionRequest, PolicyEntity } from './types.ts';

const defaults = defaultPolicySource().text;

const key = (models: string[], endpoints: string[], kind = 'client'): PolicyEntity => ({
  type: 'ServiceAccount',
  id: 'app',
  attrs: { kind, scopes: { models, endpoints } },
});
const model = (alias: string, tier = 'standard'): PolicyEntity => ({
  type: 'Model',
  id: alias,
  attrs: { alias, tier },
});
const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

function pdpWith(extra = '', cacheSize = 100) {
  return createCedarDecisionPoint(
    { policies: `${defaults}\n${extra}`, version: 'test', cacheSize },
    { now: () => T0 },
  );
}

describe('default policies reproduce API-key scopes', () => {
  const pdp = pdpWith();
  const cases: [string, PolicyEntity, DecisionRequest['action'], PolicyEntity, string][] = [
    ['model and endpoint in scope → allow', key(['m1'], ['chat']), 'chat', model('m1'), 'allow'],
    ['wildcard model scope → allow', key(['*'], ['chat']), 'chat', model('any'), 'allow'],
    ['wildcard endpoint scope → allow', key(['m1'], ['*']), 'embed', model('m1'), 'allow'],
    ['model outside scope → deny', key(['m1'], ['*']), 'chat', model('m2'), 'deny'],
    ['endpoint outside scope → deny', key(['m1'], ['chat']), 'complete', model('m1'), 'deny'],
    [
      'completions endpoint name maps to complete',
      key(['m1'], ['completions']),
      'complete',
      model('m1'),
      'allow',
    ],
    ['admin key cannot call models', key(['*'], ['*'], 'admin'), 'chat', model('m1'), 'deny'],
    [
      'model list needs the models endpoint',
      key(['*'], ['chat']),
      'models/list',
      { type: 'Catalog', id: 'models' },
      'deny',
    ],
    [
      'model list with the models endpoint',
      key([], ['models']),
      'models/list',
      { type: 'Catalog', id: 'models' },
      'allow',
    ],
    [
      'admin key → admin action',
      key([], [], 'admin'),
      'admin/keys.create',
      { type: 'AdminObject', id: 'keys' },
      'allow',
    ],
    [
      'client key → no admin action',
      key(['*'], ['*']),
      'admin/keys.list',
      { type: 'AdminObject', id: 'keys' },
      'deny',
    ],
  ];
  for (const [name, principal, action, resource, want] of cases)
    test(`decide: ${name}`, () => {
      const d = pdp.decide({ principal, action, resource });
      assert.equal(d.kind, want, d.reasons.join('; '));
      if (want === 'allow') assert.equal(d.policies.length, 1);
      else assert.deepEqual(d.policies, []);
    });

  test('listAllowed: only models in scope, in candidate order', () => {
    const got = pdp.listAllowed(
      key(['b', 'c'], ['models']),
      'models/list',
      ['a', 'b', 'c', 'd'].map((m) => model(m)),
    );
    assert.deepEqual(
      got.map((m) => m.id),
      ['b', 'c'],
    );
  });
});

describe('decision semantics', () => {
  test('decide: forbid overrides permit and names the forbid', () => {
    const pdp = pdpWith(`@id("no-secrets") forbid (principal, action, resource)
      when { context.findings.types.contains("AWS_ACCESS_KEY") };`);
    const req = { principal: key(['*'], ['*']), action: 'chat' as const, resource: model('m') };
    assert.equal(pdp.decide(req).kind, 'allow');
    const d = pdp.decide({
      ...req,
      context: { findings: { types: ['AWS_ACCESS_KEY'], count: 1, hasCredential: true, hasPii: false } },
    });
    assert.equal(d.kind, 'deny');
    assert.deepEqual(d.policies, ['no-secrets']);
  });

  test('decide: unknown action, or a resource type the action does not take → deny', () => {
    const pdp = pdpWith();
    assert.equal(
      pdp.decide({ principal: key(['*'], ['*']), action: 'admin/nope', resource: model('m') }).kind,
      'deny',
    );
    const d = pdp.decide({
      principal: key(['*'], ['*']),
      action: 'chat',
      resource: { type: 'Tool', id: 't' },
    });
    assert.equal(d.kind, 'deny');
    assert.match(d.reasons[0]!, /not a valid request/);
  });

  test('decide: a forbid that errors denies (fail closed)', () => {
    // The principal lacks a declared attribute, so the guard cannot be evaluated.
    const pdp = pdpWith(`@id("kind-guard") forbid (principal is Airlock::ServiceAccount, action, resource)
      when { principal.kind == "blocked" };`);
    const d = pdp.decide({
      principal: {
        type: 'ServiceAccount',
        id: 'broken',
        attrs: { scopes: { models: ['*'], endpoints: ['*'] } },
      },
      action: 'chat',
      resource: model('m'),
    });
    assert.equal(d.kind, 'deny');
    assert.deepEqual(d.policies, ['kind-guard']);
    assert.match(d.reasons.join(' '), /fail closed/);
  });

  test('obligations: @approval → needs-approval until an approval for that group is in the context', () => {
    const pdp = pdpWith(`@id("premium") @approval("ml-leads") @ttl("15m")
      permit (principal is Airlock::ServiceAccount, action == Airlock::Action::"chat", resource is Airlock::Model)
      when { resource.tier == "premium" };`);
    const req = { principal: key([], []), action: 'chat' as const, resource: model('big', 'premium') };
    const d = pdp.decide(req);
    assert.equal(d.kind, 'needs-approval');
    assert.deepEqual(d.obligations.approval, ['ml-leads']);
    assert.equal(d.obligations.ttlMs, 15 * 60_000);
    const other = pdp.decide({
      ...req,
      context: { approval: { id: 'a1', approvers: ['x'], groups: ['other'] } },
    });
    assert.equal(other.kind, 'needs-approval');
    const ok = pdp.decide({
      ...req,
      context: { approval: { id: 'a1', approvers: ['bob'], groups: ['ml-leads'] } },
    });
    assert.equal(ok.kind, 'allow');
    assert.deepEqual(ok.policies, ['premium']);
  });

  test('obligations: a permit with @approval also binds requests another permit allows (union)', () => {
    const pdp = pdpWith(`@id("premium") @approval("ml-leads")
      permit (principal, action == Airlock::Action::"chat", resource is Airlock::Model) when { resource.tier == "premium" };`);
    const d = pdp.decide({ principal: key(['*'], ['*']), action: 'chat', resource: model('big', 'premium') });
    assert.equal(d.kind, 'needs-approval');
    assert.deepEqual([...d.policies].sort(), ['api-key.chat', 'premium']);
  });

  test('obligations: @stepup("mfa") → needs-step-up until the credential completed mfa; break-glass waives approval only', () => {
    const pdp = pdpWith(`@id("rotate") @stepup("mfa") @approval("security")
      permit (principal, action == Airlock::Action::"admin/keys.rotate", resource);`);
    const req = {
      principal: { type: 'User', id: 'alice' },
      action: 'admin/keys.rotate' as const,
      resource: { type: 'AdminObject', id: 'keys' },
    };
    assert.equal(pdp.decide(req).kind, 'needs-step-up');
    const mfa = { credential: { kind: 'session', stepUp: ['mfa'] } };
    assert.equal(pdp.decide({ ...req, context: mfa }).kind, 'needs-approval');
    const glass = pdp.decide({
      ...req,
      context: { ...mfa, breakGlass: { id: 'bg1', reason: 'incident 42', expiresAt: T0 + 60_000 } },
    });
    assert.equal(glass.kind, 'allow');
    assert.equal(glass.obligations.review, true);
    const expired = pdp.decide({
      ...req,
      context: { ...mfa, breakGlass: { id: 'bg1', reason: 'old', expiresAt: T0 - 1 } },
    });
    assert.equal(expired.kind, 'needs-approval');
  });

  test('context: client address as ipaddr, hour of day, tool arguments as tags, roles as parents', () => {
    const pdp = pdpWith(`
      @id("office-hours") forbid (principal, action == Airlock::Action::"embed", resource) when { context.hourOfDay < 8 };
      @id("lab-net") forbid (principal, action == Airlock::Action::"chat", resource)
        when { context has clientAddress && context.clientAddress.isInRange(ip("10.66.0.0/16")) };
      @id("analysts") permit (principal in Airlock::Role::"analysts", action == Airlock::Action::"tools/call", resource is Airlock::Tool)
        when { context has arguments && context.arguments.hasTag("path") && context.arguments.getTag("path") like "/srv/reports/*" };`);
    const sa = key(['*'], ['*']);
    assert.equal(
      pdp.decide({
        principal: sa,
        action: 'chat',
        resource: model('m'),
        context: { clientAddress: '10.66.1.2' },
      }).kind,
      'deny',
    );
    assert.equal(
      pdp.decide({
        principal: sa,
        action: 'chat',
        resource: model('m'),
        context: { clientAddress: '10.1.1.2' },
      }).kind,
      'allow',
    );
    assert.equal(
      pdp.decide({
        principal: sa,
        action: 'chat',
        resource: model('m'),
        context: { clientAddress: 'not-an-ip' },
      }).kind,
      'allow',
    );
    assert.equal(
      pdp.decide({
        principal: sa,
        action: 'embed',
        resource: model('m'),
        context: { now: Date.UTC(2025, 0, 6, 3) },
      }).kind,
      'deny',
    );
    assert.equal(pdp.decide({ principal: sa, action: 'embed', resource: model('m') }).kind, 'allow');
    const analyst: PolicyEntity = { type: 'User', id: 'ann', parents: [{ type: 'Role', id: 'analysts' }] };
    const tool: PolicyEntity = { type: 'Tool', id: 'fs.read', attrs: { name: 'read', server: 'fs' } };
    const call = (who: PolicyEntity, path: string) =>
      pdp.decide({ principal: who, action: 'tools/call', resource: tool, context: { arguments: { path } } })
        .kind;
    assert.equal(call(analyst, '/srv/reports/q1.csv'), 'allow');
    assert.equal(call(analyst, '/etc/passwd'), 'deny');
    assert.equal(call({ type: 'User', id: 'bob' }, '/srv/reports/q1.csv'), 'deny');
  });

  test('action groups in conditions: `action in Airlock::Action::"models"` matches chat', () => {
    const pdp = pdpWith(
      `@id("quiet") forbid (principal, action, resource) when { action in Airlock::Action::"models" && context.stream };`,
    );
    const req = { principal: key(['*'], ['*']), action: 'chat' as const, resource: model('m') };
    assert.equal(pdp.decide({ ...req, context: { stream: true } }).kind, 'deny');
    assert.equal(pdp.decide({ ...req, context: { stream: false } }).kind, 'allow');
  });
});

describe('decision cache', () => {
  test('cache: keyed on referenced inputs only; unreferenced context changes still hit', () => {
    const pdp = pdpWith(`@id("big") forbid (principal, action == Airlock::Action::"chat", resource)
      when { context has tokenEstimate && context.tokenEstimate > 1000 };`);
    const req = { principal: key(['*'], ['*']), action: 'chat' as const, resource: model('m') };
    assert.equal(pdp.decide({ ...req, context: { tokenEstimate: 10, zone: 'a' } }).cached, false);
    assert.equal(
      pdp.decide({
        ...req,
        context: {
          tokenEstimate: 10,
          zone: 'b',
          findings: { types: ['X'], count: 1, hasCredential: false, hasPii: false },
        },
      }).cached,
      true,
    );
    const d = pdp.decide({ ...req, context: { tokenEstimate: 5000, zone: 'a' } });
    assert.equal(d.cached, false);
    assert.equal(d.kind, 'deny');
    // A different scope is a different principal input.
    assert.equal(
      pdp.decide({ ...req, principal: key(['m'], ['*']), context: { tokenEstimate: 10 } }).cached,
      false,
    );
    // Obligations are resolved after the cache: an approval arriving later is seen.
    assert.deepEqual(pdp.stats, { hits: 1, misses: 3, size: 3 });
  });

  test('cache: bounded; a new version starts empty', () => {
    const pdp = pdpWith('', 2);
    for (const m of ['a', 'b', 'c'])
      pdp.decide({ principal: key(['*'], ['*']), action: 'chat', resource: model(m) });
    assert.equal(pdp.stats.size, 2);
    const next = createCedarDecisionPoint({ policies: defaults, version: 'v2' });
    assert.equal(next.stats.size, 0);
    assert.equal(next.version, 'v2');
  });
});
