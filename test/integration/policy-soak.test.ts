// Soak: at least 1,000,000 mixed decisions through the Cedar decision point while other hot code
// runs (JSON, hashing, async crypto on the libuv pool, timers, garbage), checking every answer
// against a reference model. The brief reported the engine crashing Node 20 and 22 under mixed
// load; this is the evidence that it is stable on Node 24 in-process (no worker thread needed).
import assert from 'node:assert/strict';
import { createHash, pbkdf2 } from 'node:crypto';
import { test } from 'node:test';
import { createCedarDecisionPoint } from '../../src/policy/cedar-decision-point.ts';
import { defaultPolicySource } from '../../src/policy/compile.ts';
import type { DecisionRequest, PolicyAction } from '../../src/policy/types.ts';

const TOTAL = Number(process.env.AIRLOCK_SOAK_DECISIONS ?? 1_000_000);

const extra = `
@id("soak.no-secrets")
forbid (principal, action in Airlock::Action::"models", resource)
when { context.findings.types.contains("secret.aws") };

@id("soak.big-prompts")
forbid (principal, action == Airlock::Action::"chat", resource)
when { context has tokenEstimate && context.tokenEstimate > 6000 && resource.tier == "small" };

@id("soak.restricted-net")
forbid (principal, action, resource is Airlock::Model)
when { context has clientAddress && context.clientAddress.isInRange(ip("10.66.0.0/16")) };

@id("soak.premium-approval")
@approval("ml-leads")
@ttl("15m")
permit (principal is Airlock::ServiceAccount, action == Airlock::Action::"chat", resource is Airlock::Model)
when { resource.tier == "premium" && principal.scopes.models.contains("premium-pool") };
`;

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

test('policy soak: ≥1M mixed decisions alongside JSON, crypto and timers stay correct and stable', async () => {
  const pdp = createCedarDecisionPoint({
    policies: `${defaultPolicySource().text}\n${extra}`,
    version: 'soak',
    cacheSize: 10_000,
  });
  const models = Array.from({ length: 40 }, (_, i) => ({
    alias: `m${i}`,
    tier: i % 10 === 0 ? 'premium' : i % 3 === 0 ? 'small' : 'standard',
  }));
  const principals = Array.from({ length: 60 }, (_, i) => ({
    id: `svc-${i}`,
    kind: i % 17 === 0 ? 'admin' : 'client',
    models:
      i % 5 === 0 ? ['*'] : i % 7 === 0 ? ['premium-pool', 'm0', 'm10'] : [`m${i % 40}`, `m${(i * 3) % 40}`],
    endpoints: i % 4 === 0 ? ['chat'] : ['*'],
  }));
  const actions: PolicyAction[] = ['chat', 'complete', 'embed', 'models/list', 'admin/keys.list'];
  const findingSets = [[], [], [], ['pii.email'], ['secret.aws'], ['pii.phone', 'pii.email']];
  const addresses = ['127.0.0.1', '10.0.0.7', '10.66.3.4', '::1', '192.168.1.20'];

  // The reference model the answers are checked against (same rules, written in TypeScript).
  const expected = (r: {
    p: (typeof principals)[number];
    a: PolicyAction;
    m: (typeof models)[number];
    findings: string[];
    tokens: number;
    addr: string;
  }): string => {
    if (r.a === 'admin/keys.list') return r.p.kind === 'admin' ? 'allow' : 'deny';
    if (r.findings.includes('secret.aws')) return 'deny';
    if (r.addr.startsWith('10.66.')) return 'deny';
    if (r.a === 'chat' && r.tokens > 6000 && r.m.tier === 'small') return 'deny';
    if (r.p.kind !== 'client') return 'deny';
    const inScope = r.p.models.includes('*') || r.p.models.includes(r.m.alias);
    const endpoint = { chat: 'chat', complete: 'completions', embed: 'embeddings', 'models/list': 'models' }[
      r.a as 'chat'
    ];
    const endpointOk =
      r.a === 'models/list' || r.p.endpoints.includes('*') || r.p.endpoints.includes(endpoint);
    const premium = r.a === 'chat' && r.m.tier === 'premium' && r.p.models.includes('premium-pool');
    if (inScope && endpointOk) return premium ? 'needs-approval' : 'allow';
    return premium ? 'needs-approval' : 'deny';
  };

  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
  }, 1);
  let cryptoDone = 0;
  let cryptoRunning = true;
  const cryptoLoop = () => {
    if (!cryptoRunning) return;
    pbkdf2('soak', 'salt', 2_000, 32, 'sha256', () => {
      cryptoDone++;
      cryptoLoop();
    });
  };
  cryptoLoop();

  const started = performance.now();
  // mulberry32: a small deterministic generator, so a failure replays exactly.
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const draw = (tokens: number) => {
    const p = principals[rand(principals.length)]!;
    const m = models[rand(models.length)]!;
    const a = actions[rand(actions.length)]!;
    const findings = findingSets[rand(findingSets.length)]!;
    const addr = addresses[rand(addresses.length)]!;
    const request: DecisionRequest = {
      principal: {
        type: 'ServiceAccount',
        id: p.id,
        attrs: { kind: p.kind, scopes: { models: p.models, endpoints: p.endpoints } },
      },
      action: a,
      resource:
        a === 'admin/keys.list'
          ? { type: 'AdminObject', id: 'keys' }
          : { type: 'Model', id: m.alias, attrs: { alias: m.alias, tier: m.tier } },
      // tokenEstimate is read by a policy: fresh values are cache misses.
      context: {
        findings: { types: findings, count: findings.length, hasCredential: false, hasPii: false },
        tokenEstimate: tokens,
        clientAddress: addr,
        stream: rand(2) === 0,
      },
    };
    return { p, m, a, findings, tokens, addr, request };
  };
  const hot = Array.from({ length: 2_000 }, () => draw(rand(4) === 0 ? rand(12_000) : 500));
  let counts: Record<string, number> = {};
  let checksum = '';
  const batch = 5_000;
  try {
    for (let done = 0; done < TOTAL; done += batch) {
      for (let i = 0; i < batch; i++) {
        // Skewed like real traffic: most requests repeat a hot set (cache hits), ~15% are fresh.
        const c = rand(100) < 85 ? hot[rand(hot.length)]! : draw(rand(12_000));
        const { p, m, a, findings, tokens, addr, request } = c;
        const d = pdp.decide(request);
        const want = expected({ p, a, m, findings, tokens, addr });
        if (d.kind !== want)
          assert.fail(
            `decision ${done + i}: ${JSON.stringify(request)} → ${d.kind} (${d.reasons}), want ${want}`,
          );
        counts[d.kind] = (counts[d.kind] ?? 0) + 1;
      }
      // Other hot code between batches on the same thread: JSON round trips, hashing, garbage.
      const blob = JSON.parse(
        JSON.stringify({ counts, n: done, pad: 'x'.repeat(4096), list: new Array(256).fill(done) }),
      );
      checksum = sha(`${checksum}${blob.n}`);
      counts = { ...counts };
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    clearInterval(timer);
    cryptoRunning = false;
  }
  const seconds = (performance.now() - started) / 1000;
  const { hits, misses } = pdp.stats;
  assert.ok(hits + misses >= 1_000_000 || TOTAL < 1_000_000);
  assert.ok(misses > TOTAL / 25, `cache misses must be part of the soak (got ${misses})`);
  assert.ok(ticks > 0 && cryptoDone > 0, 'the other work ran alongside');
  assert.equal(checksum.length, 64);
  console.log(
    `# soak: ${TOTAL} decisions in ${seconds.toFixed(1)} s (${((seconds * 1e6) / TOTAL).toFixed(1)} µs avg), ` +
      `${misses} misses (${((100 * misses) / TOTAL).toFixed(1)}%), ${JSON.stringify(counts)}, ` +
      `${ticks} timer ticks, ${cryptoDone} pbkdf2, node ${process.version}`,
  );
});
