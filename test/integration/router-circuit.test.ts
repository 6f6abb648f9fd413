// Router against real mock upstreams: circuit breaking, health checks, start-up validation.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { modelSchema } from '../../src/config/schema.ts';
import { createRouter } from '../../src/inference/router.ts';
import { UpstreamError } from '../../src/inference/upstream-error.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import { closedLoopbackPort, defaultBehaviour } from '../helpers/mock-upstream-server.ts';
import { routerFixture, smartCall } from '../helpers/router-fixture.ts';

let a: MockOpenAiUpstream;
let b: MockOpenAiUpstream;
let deadPort: number;

before(async () => {
  a = await startMockOpenAiUpstream({ chunkCount: 3 });
  b = await startMockOpenAiUpstream({ chunkCount: 3 });
  deadPort = await closedLoopbackPort();
});
beforeEach(() => {
  a.setBehaviour({ ...defaultBehaviour, chunkCount: 3 });
  b.setBehaviour({ ...defaultBehaviour, chunkCount: 3 });
});
after(async () => {
  await a.close();
  await b.close();
});

test('router: circuit opens after N failures, skips the primary, half-opens after cooldown and closes on success', async () => {
  const f = await routerFixture(a.url, b.url, { failures: 2, cooldown: '30s' });
  const model = f.router.resolve('smart')!;
  try {
    a.setBehaviour({ failNext: 2, failStatus: 502 });
    for (let i = 0; i < 2; i++)
      assert.equal((await f.router.forward(model, smartCall())).target.upstream, 'secondary');
    assert.equal(f.router.health().primary?.circuit, 'open');

    const seenA = a.requests.length;
    assert.equal((await f.router.forward(model, smartCall())).target.upstream, 'secondary');
    assert.equal(a.requests.length, seenA, 'open circuit: primary not contacted');
    assert.ok(f.events.some((e) => e.type === 'skip' && e.reason === 'circuit_open'));

    f.clock.t += 30_000; // cooldown over: the next request is the half-open trial
    assert.equal(f.router.health().primary?.circuit, 'half-open');
    assert.equal((await f.router.forward(model, smartCall())).target.upstream, 'primary');
    assert.equal(f.router.health().primary?.circuit, 'closed');
    assert.deepEqual(
      f.events
        .filter((e) => e.type === 'circuit')
        .map((e) => (e.type === 'circuit' ? `${e.from}->${e.to}` : '')),
      ['closed->open', 'open->half-open', 'half-open->closed'],
    );
  } finally {
    await f.close();
  }
});

test('router: a failed half-open trial re-opens the circuit', async () => {
  const f = await routerFixture(`http://127.0.0.1:${deadPort}`, b.url, { failures: 1, cooldown: '10s' });
  const model = f.router.resolve('smart')!;
  try {
    await f.router.forward(model, smartCall());
    assert.equal(f.router.health().primary?.circuit, 'open');
    f.clock.t += 10_000;
    assert.equal((await f.router.forward(model, smartCall())).target.upstream, 'secondary');
    assert.equal(f.router.health().primary?.circuit, 'open');
  } finally {
    await f.close();
  }
});

test('router: every target failing → the last error; every circuit open → upstream_unavailable with retryAfter', async () => {
  const f = await routerFixture(a.url, b.url, { failures: 1, cooldown: '30s' });
  const model = f.router.resolve('smart')!;
  try {
    a.setBehaviour({ failNext: 1, failStatus: 500 });
    b.setBehaviour({ failNext: 10, failStatus: 503 });
    await assert.rejects(
      f.router.forward(model, smartCall()),
      (e: unknown) => e instanceof UpstreamError && e.upstreamStatus === 503,
    );
    for (let i = 0; i < 4; i++) await f.router.forward(model, smartCall()).catch(() => {});
    assert.equal(f.router.health().secondary?.circuit, 'open');
    f.clock.t += 5_000;
    await assert.rejects(
      f.router.forward(model, smartCall()),
      (e: unknown) => e instanceof UpstreamError && e.code === 'upstream_unavailable' && e.retryAfter === 25,
    );
  } finally {
    await f.close();
  }
});

test('router: health checks mark a dead upstream unhealthy and route around it; all unhealthy → still tried', async () => {
  const f = await routerFixture(`http://127.0.0.1:${deadPort}`, b.url, { failures: 100 });
  const model = f.router.resolve('smart')!;
  try {
    await f.router.checkHealthNow();
    assert.deepEqual(f.router.health(), {
      primary: { healthy: false, circuit: 'closed' },
      secondary: { healthy: true, circuit: 'closed' },
    });
    assert.deepEqual(
      f.events.filter((e) => e.type === 'health'),
      [{ type: 'health', upstream: 'primary', healthy: false }],
    );
    assert.equal((await f.router.forward(model, smartCall())).target.upstream, 'secondary');
    assert.ok(f.events.some((e) => e.type === 'skip' && e.reason === 'unhealthy'));
    assert.ok(!f.events.some((e) => e.type === 'failover'), 'skipped, not tried');
  } finally {
    await f.close();
  }
});

test("router: start() runs health checks on unref'd timers and close() stops them", async () => {
  const f = await routerFixture(a.url, b.url);
  f.router.start();
  f.router.start(); // idempotent
  await f.router.checkHealthNow();
  assert.equal(f.router.health().primary?.healthy, true);
  await f.close();
});

test('router: a target naming an upstream without an adapter stops start-up', () => {
  const models = [modelSchema.parse({ alias: 'x', targets: [{ upstream: 'ghost', model: 'm' }] })];
  assert.throws(
    () => createRouter({ models, upstreams: [] }, { adapters: new Map() }),
    /no adapter for upstream "ghost"/,
  );
});
