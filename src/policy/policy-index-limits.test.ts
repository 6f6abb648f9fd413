import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCedarDecisionPoint } from './cedar-decision-point.ts';
import type { DecisionRequest } from './types.ts';

// Every chat policy is indexed by alias: a request for an alias no policy names selects nothing.
const policies = Array.from(
  { length: 6 },
  (_, i) =>
    `@id("team-${i}")\n${i === 5 ? 'forbid' : 'permit'} (principal, action == Airlock::Action::"chat", resource is Airlock::Model)\nwhen { resource.alias == "m${i % 5}" };`,
).join('\n');

const request = (alias: string): DecisionRequest => ({
  principal: { type: 'User', id: 'u' },
  action: 'chat',
  resource: { type: 'Model', id: alias, attrs: { alias, tier: 'standard' } },
});

const summary = (d: { kind: string; policies: readonly string[]; reasons: readonly string[] }) => ({
  kind: d.kind,
  policies: [...d.policies].sort(),
  reasons: d.reasons,
});

test('policy index: past maxIndexedSets a request falls back to its whole slice, with equal decisions', () => {
  const whole = createCedarDecisionPoint({ policies, version: 'w', cacheSize: 0, index: false });
  for (const max of [0, 1, 4096]) {
    const indexed = createCedarDecisionPoint({
      policies,
      version: `i${max}`,
      cacheSize: 0,
      maxIndexedSets: max,
    });
    for (const alias of ['m0', 'm1', 'm2', 'm3', 'm4', 'm0', 'nobody'])
      assert.deepEqual(
        summary(indexed.decide(request(alias))),
        summary(whole.decide(request(alias))),
        `${max} ${alias}`,
      );
  }
  // m0 has a permit and a forbid: the forbid wins and is named.
  assert.deepEqual(summary(whole.decide(request('m0'))).policies, ['team-5']);
  assert.equal(whole.decide(request('m1')).kind, 'allow');
  assert.deepEqual(whole.decide(request('nobody')).reasons, ['no permit policy applies (default deny)']);
});
