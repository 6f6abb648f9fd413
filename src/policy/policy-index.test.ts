import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { createCedarDecisionPoint } from './cedar-decision-point.ts';
import { createPolicyIndex, indexConstraint } from './policy-index.ts';
import type { Decision, DecisionRequest, PolicyEntity } from './types.ts';

function json(text: string) {
  const r = cedar.policyToJson(text);
  assert.equal(r.type, 'success');
  return (r as { json: Parameters<typeof indexConstraint>[0] }).json;
}

describe('policy index: what a policy is indexed under', () => {
  const cases: [string, string, string | undefined][] = [
    ['resource scope ==', 'permit (principal, action, resource == Airlock::Model::"m");', 'resource.uid'],
    ['resource scope in', 'permit (principal, action, resource in Airlock::Server::"s");', 'resource.in'],
    [
      'principal is … in',
      'permit (principal is Airlock::User in Airlock::Role::"r", action, resource);',
      'principal.in',
    ],
    [
      'first when leaf: attribute equality',
      'permit (principal, action, resource is Airlock::Model) when { resource.alias == "a" && context.stream };',
      'resource.attr.alias',
    ],
    [
      'literal on the left',
      'permit (principal, action, resource is Airlock::Model) when { "a" == resource.alias };',
      'resource.attr.alias',
    ],
    [
      'set contains',
      'permit (principal, action, resource is Airlock::Model) when { ["a", "b"].contains(resource.alias) };',
      'resource.attr.alias',
    ],
    [
      'after a has test',
      'permit (principal, action, resource) when { context has zone && context.zone == "z" };',
      'context.zone',
    ],
    [
      'after a test that can error: not indexed',
      'permit (principal, action, resource is Airlock::Model) when { resource.tier == resource.alias && resource.alias == "a" };',
      undefined,
    ],
    [
      'unless only: not indexed',
      'permit (principal, action, resource is Airlock::Model) unless { resource.alias == "a" };',
      undefined,
    ],
    [
      'disjunction: not indexed',
      'permit (principal, action, resource is Airlock::Model) when { resource.alias == "a" || resource.alias == "b" };',
      undefined,
    ],
    ['unconstrained', 'permit (principal, action, resource);', undefined],
  ];
  for (const [name, text, dimension] of cases)
    test(`indexConstraint: ${name}`, () => {
      assert.equal(indexConstraint(json(text))?.dimension, dimension);
    });

  test('select: unknown request value selects every policy under that key', () => {
    const index = createPolicyIndex([
      json('permit (principal, action, resource is Airlock::Model) when { resource.alias == "a" };'),
      json('permit (principal, action, resource is Airlock::Model) when { resource.alias == "b" };'),
      json('permit (principal, action, resource);'),
    ]);
    const probe = (attrs: PolicyEntity['attrs']) => ({
      principal: { type: 'User', id: 'u' },
      resource: { type: 'Model', id: 'm', attrs },
      context: {},
    });
    assert.deepEqual(index.select(probe({ alias: 'a' })).members, [0, 2]);
    assert.deepEqual(index.select(probe({ alias: 'z' })).members, [2]);
    assert.deepEqual(index.select(probe({})).members, [0, 1, 2]);
    assert.deepEqual(index.select(probe({ alias: { __entity: { type: 'X', id: 'a' } } })).members, [0, 1, 2]);
  });
});

/** mulberry32: a small seeded generator, so a failure names a reproducible seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}

type Rng = ReturnType<typeof rng>;
const ALIASES = ['a0', 'a1', 'a2', 'a3'];
const TIERS = ['small', 'standard', 'premium'];
const ZONES = ['z0', 'z1'];
const ROLES = ['r0', 'r1', 'r2'];

function modelLeaf(r: Rng): string {
  const leaves = [
    () => `resource.alias == "${r.pick(ALIASES)}"`,
    () => `"${r.pick(ALIASES)}" == resource.alias`,
    () => `["${r.pick(ALIASES)}", "${r.pick(ALIASES)}"].contains(resource.alias)`,
    () => `resource.tier == "${r.pick(TIERS)}"`,
    () => `resource == Airlock::Model::"m${r.int(4)}"`,
    () => `principal in Airlock::Role::"${r.pick(ROLES)}"`,
    () => `principal in Airlock::Tenant::"t0"`,
    () => `context has zone && context.zone == "${r.pick(ZONES)}"`,
    () => `context has tokenEstimate && context.tokenEstimate < ${r.int(2000)}`,
    () => 'context.findings.types.contains("EMAIL")',
    () => 'resource has tier',
    () => 'context.stream',
    () => `resource.tier == resource.alias`,
  ];
  return r.pick(leaves)();
}

function toolLeaf(r: Rng): string {
  const leaves = [
    () => `resource.name == "n${r.int(3)}"`,
    () => `resource.server == "s${r.int(2)}"`,
    () => `resource in Airlock::Server::"s${r.int(2)}"`,
    () => `resource has risk && resource.risk == "high"`,
    () => `context has arguments && context.arguments.hasTag("path")`,
    () => `principal in Airlock::Role::"${r.pick(ROLES)}"`,
  ];
  return r.pick(leaves)();
}

function policy(r: Rng, i: number, tools: boolean): string {
  const effect = r.chance(0.3) ? 'forbid' : 'permit';
  const principal = r.pick([
    'principal',
    'principal',
    `principal == Airlock::User::"u${r.int(3)}"`,
    `principal in Airlock::Role::"${r.pick(ROLES)}"`,
    `principal is Airlock::User in Airlock::Role::"${r.pick(ROLES)}"`,
  ]);
  const resource = tools
    ? r.pick([
        'resource',
        `resource is Airlock::Tool in Airlock::Server::"s${r.int(2)}"`,
        `resource == Airlock::Tool::"t${r.int(4)}"`,
      ])
    : r.pick(['resource', 'resource is Airlock::Model', `resource == Airlock::Model::"m${r.int(4)}"`]);
  const action = tools ? 'action == Airlock::Action::"tools/call"' : 'action == Airlock::Action::"chat"';
  const leaf = tools ? toolLeaf : modelLeaf;
  const clauses: string[] = [];
  for (let c = r.int(3); c > 0; c--) {
    const leaves = Array.from({ length: 1 + r.int(3) }, () => leaf(r));
    clauses.push(`${r.chance(0.75) ? 'when' : 'unless'} { ${leaves.join(' && ')} }`);
  }
  return `@id("p${i}")\n${effect} (${principal}, ${action}, ${resource})\n${clauses.join('\n')};`;
}

function entity(r: Rng, tools: boolean): { resource: PolicyEntity; entities: PolicyEntity[] } {
  if (tools) {
    const n = r.int(4);
    const attrs: Record<string, string> = { name: `n${r.int(3)}`, server: `s${r.int(2)}` };
    if (r.chance(0.3)) attrs.risk = r.pick(['high', 'low']);
    if (r.chance(0.15)) delete attrs.name; // a caller that forgot an attribute: the engine errors
    return {
      resource: {
        type: 'Tool',
        id: `t${n}`,
        attrs,
        parents: r.chance(0.8) ? [{ type: 'Server', id: `s${r.int(2)}` }] : [],
      },
      entities: [],
    };
  }
  const attrs: Record<string, string> = { alias: r.pick(ALIASES), tier: r.pick(TIERS) };
  if (r.chance(0.15)) delete attrs.alias;
  if (r.chance(0.1)) delete attrs.tier;
  return { resource: { type: 'Model', id: `m${r.int(4)}`, attrs }, entities: [] };
}

function request(r: Rng, tools: boolean): DecisionRequest {
  const role = r.pick(ROLES);
  const principal: PolicyEntity = r.chance(0.5)
    ? { type: 'User', id: `u${r.int(3)}`, parents: r.chance(0.7) ? [{ type: 'Role', id: role }] : [] }
    : { type: 'ServiceAccount', id: 'app', attrs: { kind: 'client', scopes: { models: [], endpoints: [] } } };
  const { resource } = entity(r, tools);
  const entities: PolicyEntity[] = r.chance(0.5)
    ? [{ type: 'Role', id: role, parents: [{ type: 'Tenant', id: 't0' }] }]
    : [];
  const context: DecisionRequest['context'] = {
    stream: r.chance(0.5),
    findings: r.chance(0.3)
      ? { types: ['EMAIL'], count: 1, hasCredential: false, hasPii: true }
      : { types: [], count: 0, hasCredential: false, hasPii: false },
    ...(r.chance(0.6) ? { zone: r.pick(ZONES) } : {}),
    ...(r.chance(0.6) ? { tokenEstimate: r.int(2000) } : {}),
    ...(tools && r.chance(0.5) ? { arguments: r.chance(0.5) ? { path: '/srv' } : { q: 'x' } } : {}),
  };
  return { principal, action: tools ? 'tools/call' : 'chat', resource, context, entities };
}

const summary = (d: Decision) => ({ kind: d.kind, policies: [...d.policies].sort(), reasons: d.reasons });

describe('policy index: indexed decisions equal whole-slice decisions (randomized differential)', () => {
  test('decide: 60 generated policy sets × 80 requests each, models and tools', () => {
    const seen = { allow: 0, forbid: 0, defaultDeny: 0, errored: 0, narrowed: 0 };
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed);
      const tools = seed % 3 === 0;
      const policies = Array.from({ length: 5 + r.int(40) }, (_, i) => policy(r, i, tools)).join('\n');
      const indexed = createCedarDecisionPoint(
        { policies, version: `i${seed}`, cacheSize: 0 },
        { now: () => 0 },
      );
      const whole = createCedarDecisionPoint(
        { policies, version: `w${seed}`, cacheSize: 0, index: false },
        { now: () => 0 },
      );
      const slice = indexed.compiled.slices.get(tools ? 'tools/call' : 'chat')!;
      const index = createPolicyIndex(slice.policies.map((p) => p.json));
      for (let q = 0; q < 80; q++) {
        const req = request(r, tools);
        const a = indexed.decide(req);
        const b = whole.decide(req);
        assert.deepEqual(summary(a), summary(b), `seed ${seed}, request ${q}: ${JSON.stringify(req)}`);
        if (a.kind === 'allow') seen.allow++;
        else if (a.kind === 'deny' && a.policies.length > 0) seen.forbid++;
        else if (a.kind === 'deny') seen.defaultDeny++;
        if (a.reasons.some((x) => x.includes('could not be evaluated'))) seen.errored++;
        const context: Record<string, string | number> = {};
        if (req.context?.zone !== undefined) context.zone = req.context.zone;
        if (req.context?.tokenEstimate !== undefined) context.tokenEstimate = req.context.tokenEstimate;
        if (index.select({ ...req, context }).members.length < slice.policies.length) seen.narrowed++;
      }
    }
    // The generator reaches every outcome, errors included, and the index really narrows.
    for (const [k, v] of Object.entries(seen)) assert.ok(v > 50, `${k}: only ${v} cases`);
  });
});
