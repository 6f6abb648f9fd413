// Router against real mock upstreams: failover, circuit breaking, health checks.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { upstreamSchema } from '../../src/config/schema.ts';
import { createAdapter } from '../../src/inference/adapter-registry.ts';
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

test('router: resolve returns the configured route; unknown alias → undefined', async () => {
  const f = await routerFixture(a.url, b.url);
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
  const f = await routerFixture(a.url, b.url);
  try {
    const seen = a.requests.length;
    const { result, target } = await f.router.forward(f.router.resolve('smart')!, smartCall());
    assert.equal(target.upstream, 'primary');
    assert.equal(result.kind, 'json');
    assert.equal((a.requests[seen]!.body as { model: string }).model, 'p-model');
  } finally {
    await f.close();
  }
});

test('router: connection refused on the primary → fails over to the secondary', async () => {
  const f = await routerFixture(`http://127.0.0.1:${deadPort}`, b.url);
  try {
    const seen = b.requests.length;
    const { target, result } = await f.router.forward(f.router.resolve('smart')!, smartCall(true));
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
  const f = await routerFixture(a.url, b.url);
  try {
    a.setBehaviour({ failNext: 1, failStatus: 500 });
    const { target, result } = await f.router.forward(f.router.resolve('smart')!, smartCall(true));
    assert.equal(target.upstream, 'secondary');
    if (result.kind === 'stream') for await (const _ of result.chunks);
    assert.equal(f.events.find((e) => e.type === 'failover')?.type, 'failover');
  } finally {
    await f.close();
  }
});

test('router: no failover after the first byte: a stream dying mid-way surfaces to the caller', async () => {
  const f = await routerFixture(a.url, b.url);
  try {
    a.setBehaviour({ dieMidStream: 1, chunkDelayMs: 1 });
    const seenB = b.requests.length;
    const { target, result } = await f.router.forward(f.router.resolve('smart')!, smartCall(true));
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
  const f = await routerFixture(a.url, b.url);
  try {
    a.setBehaviour({ failNext: 1, failStatus: 400, failMessage: 'max_tokens is too large' });
    const seenB = b.requests.length;
    await assert.rejects(
      f.router.forward(f.router.resolve('smart')!, smartCall()),
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

test('router: client abort stops failover and leaves the circuit alone', async () => {
  const f = await routerFixture(a.url, b.url, { failures: 1 });
  try {
    a.setBehaviour({ latencyMs: 30_000 });
    const ac = new AbortController();
    const seenA = a.requests.length;
    const seenB = b.requests.length;
    const p = f.router.forward(f.router.resolve('smart')!, smartCall(false, ac.signal));
    await a.waitForRequests(seenA + 1);
    ac.abort();
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    assert.equal(b.requests.length, seenB);
    assert.equal(f.router.health().primary?.circuit, 'closed');
  } finally {
    await f.close();
  }
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
      adapter.call(smartCall()),
      (e: unknown) => e instanceof UpstreamError && e.code === 'upstream_unavailable' && e.retryable,
    );
    assert.equal(await adapter.checkHealth(AbortSignal.timeout(5000)), false);
    address = a.url;
    const seenA = a.requests.length;
    await adapter.call(smartCall());
    assert.equal(a.requests.length, seenA + 1);
    address = `${b.url}/v1`; // the supervisor restarted the worker on another port
    const seenB = b.requests.length;
    await adapter.call(smartCall());
    assert.equal(b.requests[seenB]?.path, '/v1/chat/completions');
  } finally {
    await adapter.close();
  }
});
