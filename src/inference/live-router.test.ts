import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { AirlockError } from '../errors.ts';
import { createLiveRouter } from './live-router.ts';
import { createRouteGenerations } from './route-generations.ts';
import type { UpstreamAdapter, UpstreamCall, UpstreamResult } from './types.ts';

/** An adapter that answers with a stream of `n` chunks, released one by one by the test. */
function fakeAdapter(name: string) {
  const calls: string[] = [];
  let closed = 0;
  const gates: (() => void)[] = [];
  const adapter: UpstreamAdapter = {
    name,
    kind: 'openai',
    async call(call: UpstreamCall): Promise<UpstreamResult> {
      calls.push(String(call.body.model));
      async function* chunks() {
        for (let i = 0; i < 2; i++) {
          await new Promise<void>((r) => gates.push(r));
          yield { choices: [{ index: 0, delta: { content: `${name}-${i}` } }] };
        }
      }
      return call.stream
        ? { kind: 'stream', status: 200, chunks: chunks() }
        : { kind: 'json', status: 200, body: {} };
    },
    checkHealth: async () => true,
    async close() {
      closed++;
    },
  } as UpstreamAdapter;
  return { adapter, calls, closes: () => closed, release: () => gates.shift()?.() };
}

const base = (upstreams: { name: string; port: number }[], models: [string, string][]) =>
  parseConfig({
    version: 1,
    dataDir: '.',
    listeners: { client: { host: '127.0.0.1', port: 8080 } },
    upstreams: upstreams.map((u) => ({
      name: u.name,
      kind: 'openai',
      baseUrl: `http://127.0.0.1:${u.port}`,
    })),
    models: models.map(([alias, upstream]) => ({ alias, targets: [{ upstream, model: `${alias}-m` }] })),
  });

const call = (stream: boolean) => ({
  endpoint: 'chat' as const,
  body: { messages: [] },
  stream,
  signal: new AbortController().signal,
  headers: {},
});

describe('live router: swapped for new requests, in-flight ones finish on the old generation', () => {
  test('swap: a stream in flight keeps its upstream; retired adapters close only once it ends; unchanged ones are reused', async () => {
    const fakes = new Map([
      ['a', fakeAdapter('a')],
      ['b', fakeAdapter('b')],
    ]);
    const routes = createRouteGenerations({
      createAdapter: (u) => fakes.get(u.name)!.adapter,
      router: {},
      allows: () => true,
    });
    const v1 = base([{ name: 'a', port: 1 }], [['chat', 'a']]);
    const live = createLiveRouter(routes.build(v1));
    const model = live.resolve('chat')!;
    const { result } = await live.forward(model, call(true) as never);
    assert.equal(result.kind, 'stream');

    // v2: alias `chat` moves to b, `a` is dropped; the request in flight still reads a's stream.
    const v2 = base(
      [{ name: 'b', port: 2 }],
      [
        ['chat', 'b'],
        ['new', 'b'],
      ],
    );
    live.swap(routes.build(v2, live.current()));
    assert.equal(live.resolve('new')?.alias, 'new');
    assert.equal(fakes.get('a')!.closes(), 0, 'a is still serving a stream');

    const seen: string[] = [];
    const reading = (async () => {
      if (result.kind !== 'stream') return;
      for await (const c of result.chunks)
        seen.push((c as { choices: { delta: { content: string } }[] }).choices[0]!.delta.content);
    })();
    fakes.get('a')!.release();
    await new Promise((r) => setImmediate(r));
    fakes.get('a')!.release();
    await reading;
    await live.drained();
    assert.deepEqual(seen, ['a-0', 'a-1']);
    assert.equal(fakes.get('a')!.closes(), 1, 'closed once its last stream ended');

    await live.forward(live.resolve('chat')!, call(false) as never);
    assert.deepEqual(fakes.get('b')!.calls, ['chat-m'], 'new requests go to the new target');

    // v3 keeps b unchanged: its adapter (and pool) is handed over, not closed.
    const v3 = base([{ name: 'b', port: 2 }], [['chat', 'b']]);
    live.swap(routes.build(v3, live.current()));
    await live.drained();
    assert.equal(fakes.get('b')!.closes(), 0);
    assert.equal(live.current().adapters.get('b'), fakes.get('b')!.adapter);
    assert.equal(live.resolve('new'), undefined, 'the alias dropped in v3 is gone');
    await live.close();
    await live.closeAdapters();
    assert.equal(fakes.get('b')!.closes(), 1);
  });

  test('generations: custody admission holds on new routes; egress and unknown upstreams refused at check', async () => {
    const fake = fakeAdapter('c');
    const routes = createRouteGenerations({
      createAdapter: () => fake.adapter,
      router: { admit: (upstream) => (upstream === 'c' ? 'c: not in the inventory' : undefined) },
      allows: (host, port) => host === '127.0.0.1' && port === 1,
    });
    const cfg = base([{ name: 'c', port: 1 }], [['m', 'c']]);
    routes.check(cfg);
    const g = routes.build(cfg);
    await assert.rejects(g.router.forward(g.router.resolve('m')!, call(false) as never), {
      code: 'model_not_approved',
    });
    assert.deepEqual(fake.calls, [], 'a refused target is never called');

    assert.throws(
      () => routes.check(base([{ name: 'c', port: 2 }], [['m', 'c']])),
      (e: unknown) =>
        e instanceof AirlockError &&
        e.code === 'egress_not_allowed' &&
        /127\.0\.0\.1:2/.test(String(e.publicDetail)),
    );
  });
});
