// Router against real mock upstreams: failover, circuit breaking, health checks.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { modelSchema, upstreamSchema } from '../../src/config/schema.ts';
import { closeAdapters, createAdapter, createAdapters } from '../../src/inference/adapter-registry.ts';
import { createRouter, type InferenceRouter, type RouterEvent } from '../../src/inference/router.ts';
import type { UpstreamAdapter, UpstreamCall } from '../../src/inference/types.ts';
import { UpstreamError } from '../../src/inference/upstream-error.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import { defaultBehaviour } from '../helpers/mock-upstream-server.ts';

let a: MockOpenAiUpstream;
let b: MockOpenAiUpstream;
let deadPort: number;

before(async () => {
  a = await startMockOpenAiUpstream({ chunkCount: 3 });
  b = await startMockOpenAiUpstream({ chunkCount: 3 });
  deadPort = await closedPort();
});
beforeEach(() => {
  a.setBehaviour({ ...defaultBehaviour, chunkCount: 3 });
  b.setBehaviour({ ...defaultBehaviour, chunkCount: 3 });
});
after(async () => {
  await a.close();
  await b.close();
});

interface Fixture {
  router: InferenceRouter;
  events: RouterEvent[];
  clock: { t: number };
  adapters: Map<string, UpstreamAdapter>;
  close(): Promise<void>;
}

async function fixture(
  primaryUrl: string,
  opts: { failures?: number; cooldown?: string } = {},
): Promise<Fixture> {
  const upstreams = [
    upstreamSchema.parse({
      name: 'primary',
      kind: 'openai',
      baseUrl: primaryUrl,
      circuitBreaker: { failures: opts.failures ?? 2, cooldown: opts.cooldown ?? '30s' },
      health: { interval: '1h' },
    }),
    upstreamSchema.parse({ name: 'secondary', kind: 'openai', baseUrl: b.url, health: { interval: '1h' } }),
  ];
  const models = [
    modelSchema.parse({
      alias: 'smart',
      targets: [
        { upstream: 'primary', model: 'p-model' },
        { upstream: 'secondary', model: 's-model' },
      ],
    }),
  ];
  const adapters = await createAdapters(upstreams, { resolveSecret: () => 'unused' });
  const events: RouterEvent[] = [];
  const clock = { t: 1_000_000 };
  const router = createRouter(
    { models, upstreams },
    { adapters, now: () => clock.t, onEvent: (e) => events.push(e) },
  );
  return {
    router,
    events,
    clock,
    adapters,
    async close() {
      await router.close();
      await closeAdapters(adapters);
    },
  };
}

function call(stream = false, signal = new AbortController().signal): UpstreamCall {
  return {
    endpoint: 'chat',
    body: { model: 'smart', messages: [{ role: 'user', content: 'hi' }], stream },
    stream,
    headers: {},
    signal,
  };
}

test('router: resolve returns the configured route; unknown alias → undefined', async () => {
  const f = await fixture(a.url);
  try {
    assert.deepEqual(f.router.resolve('smart'), {
      alias: 'smart',
      endpoints: ['chat', 'completions'],
      targets: [
        { upstream: 'primary', model: 'p-model' },
        { upstream: 'secondary', model: 's-model' },
      ],
    });
    assert.equal(f.router.resolve('nope'), undefined);
  } finally {
    await f.close();
  }
});

test('router: healthy primary serves and gets its own model name', async () => {
  const f = await fixture(a.url);
  try {
    const seen = a.requests.length;
    const { result, target } = await f.router.forward(f.router.resolve('smart')!, call());
    assert.equal(target.upstream, 'primary');
    assert.equal(result.kind, 'json');
    assert.equal((a.requests[seen]!.body as { model: string }).model, 'p-model');
  } finally {
    await f.close();
  }
});

test('router: connection refused on the primary → fails over to the secondary', async () => {
  const f = await fixture(`http://127.0.0.1:${deadPort}`);
  try {
    const seen = b.requests.length;
    const { target, result } = await f.router.forward(f.router.resolve('smart')!, call(true));
    assert.equal(target.upstream, 'secondary');
    assert.equal(result.kind, 'stream');
    if (result.kind === 'stream') for await (const _ of result.chunks);
    assert.equal((b.requests[seen]!.body as { model: string }).model, 's-model');
    assert.deepEqual(
      f.events.filter((e) => e.type === 'failover'),
      [
        {
          type: 'failover',
          alias: 'smart',
          from: 'primary',
          code: 'upstream_unavailable',
          upstreamStatus: undefined,
        },
      ],
    );
  } finally {
    await f.close();
  }
});

test('router: 500 before the first byte → fails over', async () => {
  const f = await fixture(a.url);
  try {
    a.setBehaviour({ failNext: 1, failStatus: 500 });
    const { target, result } = await f.router.forward(f.router.resolve('smart')!, call(true));
    assert.equal(target.upstream, 'secondary');
    if (result.kind === 'stream') for await (const _ of result.chunks);
    assert.equal(f.events.find((e) => e.type === 'failover')?.type, 'failover');
  } finally {
    await f.close();
  }
});

test('router: no failover after the first byte: a stream dying mid-way surfaces to the caller', async () => {
  const f = await fixture(a.url);
  try {
    a.setBehaviour({ dieMidStream: 1, chunkDelayMs: 1 });
    const seenB = b.requests.length;
    const { target, result } = await f.router.forward(f.router.resolve('smart')!, call(true));
    assert.equal(target.upstream, 'primary');
    await assert.rejects(
      (async () => {
        if (result.kind === 'stream') for await (const _ of result.chunks);
      })(),
      (e: unknown) => e instanceof UpstreamError && e.code === 'upstream_stream_interrupted',
    );
    assert.equal(b.requests.length, seenB, 'the secondary was never asked');
  } finally {
    await f.close();
  }
});

test('router: a 4xx is the answer: no failover, error carries the upstream status', async () => {
  const f = await fixture(a.url);
  try {
    a.setBehaviour({ failNext: 1, failStatus: 400, failMessage: 'max_tokens is too large' });
    const seenB = b.requests.length;
    await assert.rejects(
      f.router.forward(f.router.resolve('smart')!, call()),
      (e: unknown) =>
        e instanceof UpstreamError &&
        e.clientError?.status === 400 &&
        e.clientError.message === 'max_tokens is too large',
    );
    assert.equal(b.requests.length, seenB);
  } finally {
    await f.close();
  }
});

test('router: circuit opens after N failures, skips the primary, half-opens after cooldown and closes on success', async () => {
  const f = await fixture(a.url, { failures: 2, cooldown: '30s' });
  const model = f.router.resolve('smart')!;
  try {
    a.setBehaviour({ failNext: 2, failStatus: 502 });
    for (let i = 0; i < 2; i++)
      assert.equal((await f.router.forward(model, call())).target.upstream, 'secondary');
    assert.equal(f.router.health().primary?.circuit, 'open');

    const seenA = a.requests.length;
    assert.equal((await f.router.forward(model, call())).target.upstream, 'secondary');
    assert.equal(a.requests.length, seenA, 'open circuit: primary not contacted');
    assert.ok(f.events.some((e) => e.type === 'skip' && e.reason === 'circuit_open'));

    f.clock.t += 30_000; // cooldown over: the next request is the half-open trial
    assert.equal(f.router.health().primary?.circuit, 'half-open');
    assert.equal((await f.router.forward(model, call())).target.upstream, 'primary');
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
  const f = await fixture(`http://127.0.0.1:${deadPort}`, { failures: 1, cooldown: '10s' });
  const model = f.router.resolve('smart')!;
  try {
    await f.router.forward(model, call());
    assert.equal(f.router.health().primary?.circuit, 'open');
    f.clock.t += 10_000;
    assert.equal((await f.router.forward(model, call())).target.upstream, 'secondary');
    assert.equal(f.router.health().primary?.circuit, 'open');
  } finally {
    await f.close();
  }
});

test('router: every target failing → the last error; every circuit open → upstream_unavailable with retryAfter', async () => {
  const f = await fixture(a.url, { failures: 1, cooldown: '30s' });
  const model = f.router.resolve('smart')!;
  try {
    a.setBehaviour({ failNext: 1, failStatus: 500 });
    b.setBehaviour({ failNext: 10, failStatus: 503 });
    await assert.rejects(
      f.router.forward(model, call()),
      (e: unknown) => e instanceof UpstreamError && e.upstreamStatus === 503,
    );
    for (let i = 0; i < 4; i++) await f.router.forward(model, call()).catch(() => {});
    assert.equal(f.router.health().secondary?.circuit, 'open');
    f.clock.t += 5_000;
    await assert.rejects(
      f.router.forward(model, call()),
      (e: unknown) => e instanceof UpstreamError && e.code === 'upstream_unavailable' && e.retryAfter === 25,
    );
  } finally {
    await f.close();
  }
});

test('router: health checks mark a dead upstream unhealthy and route around it; all unhealthy → still tried', async () => {
  const f = await fixture(`http://127.0.0.1:${deadPort}`, { failures: 100 });
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
    assert.equal((await f.router.forward(model, call())).target.upstream, 'secondary');
    assert.ok(f.events.some((e) => e.type === 'skip' && e.reason === 'unhealthy'));
    assert.ok(!f.events.some((e) => e.type === 'failover'), 'skipped, not tried');
  } finally {
    await f.close();
  }
});

test('router: client abort stops failover and leaves the circuit alone', async () => {
  const f = await fixture(a.url, { failures: 1 });
  try {
    a.setBehaviour({ latencyMs: 30_000 });
    const ac = new AbortController();
    const seenA = a.requests.length;
    const seenB = b.requests.length;
    const p = f.router.forward(f.router.resolve('smart')!, call(false, ac.signal));
    await a.waitForRequests(seenA + 1);
    ac.abort();
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    assert.equal(b.requests.length, seenB);
    assert.equal(f.router.health().primary?.circuit, 'closed');
  } finally {
    await f.close();
  }
});

test("router: start() runs health checks on unref'd timers and close() stops them", async () => {
  const f = await fixture(a.url);
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

test('embedded: the adapter follows its worker address (none yet → retryable unavailable; moved → new port)', async () => {
  let address: string | undefined;
  const cfg = upstreamSchema.parse({ name: 'local', kind: 'embedded', worker: { modelPath: 'model.gguf' } });
  const adapter = createAdapter(cfg, {
    resolveSecret: () => 'x',
    embeddedBaseUrl: (n) => (n === 'local' ? address : undefined),
  });
  try {
    await assert.rejects(
      adapter.call(call()),
      (e: unknown) => e instanceof UpstreamError && e.code === 'upstream_unavailable' && e.retryable,
    );
    assert.equal(await adapter.checkHealth(AbortSignal.timeout(5000)), false);
    address = a.url;
    const seenA = a.requests.length;
    await adapter.call(call());
    assert.equal(a.requests.length, seenA + 1);
    address = `${b.url}/v1`; // the supervisor restarted the worker on another port
    const seenB = b.requests.length;
    await adapter.call(call());
    assert.equal(b.requests[seenB]?.path, '/v1/chat/completions');
  } finally {
    await adapter.close();
  }
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
