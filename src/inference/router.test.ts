import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelSchema, upstreamSchema } from '../config/schema.ts';
import { AirlockError } from '../errors.ts';
import { createRouter, type RouterEvent } from './router.ts';
import type { UpstreamAdapter, UpstreamCall, UpstreamResult } from './types.ts';
import { UpstreamError } from './upstream-error.ts';

type Behaviour = (call: UpstreamCall) => Promise<UpstreamResult>;

function fakeAdapter(
  name: string,
  behaviour: { current: Behaviour },
): UpstreamAdapter & { calls: UpstreamCall[] } {
  const calls: UpstreamCall[] = [];
  return {
    name,
    kind: 'openai',
    calls,
    call(c) {
      calls.push(c);
      return behaviour.current(c);
    },
    checkHealth: async () => true,
    close: async () => {},
  };
}

const ok: Behaviour = async () => ({ kind: 'json', status: 200, body: { ok: true } });

function setup(failures = 2) {
  const upstreams = ['one', 'two'].map((name) =>
    upstreamSchema.parse({
      name,
      kind: 'openai',
      baseUrl: 'http://127.0.0.1:1',
      circuitBreaker: { failures, cooldown: '1m' },
    }),
  );
  const models = [
    modelSchema.parse({
      alias: 'm',
      targets: [
        { upstream: 'one', model: 'one-model' },
        { upstream: 'two', model: 'two-model' },
      ],
    }),
  ];
  const one = { current: ok };
  const two = { current: ok };
  const a1 = fakeAdapter('one', one);
  const a2 = fakeAdapter('two', two);
  const events: RouterEvent[] = [];
  const router = createRouter(
    { models, upstreams },
    {
      adapters: new Map([
        ['one', a1],
        ['two', a2],
      ]),
      now: () => 0,
      onEvent: (e) => events.push(e),
    },
  );
  const call: UpstreamCall = {
    endpoint: 'chat',
    body: { model: 'm', messages: [] },
    stream: false,
    headers: {},
    signal: new AbortController().signal,
  };
  return { router, one, two, a1, a2, events, call, model: router.resolve('m')! };
}

test('router: each target receives its own model name; the caller body is not mutated', async () => {
  const s = setup();
  await s.router.forward(s.model, s.call);
  assert.equal(s.a1.calls[0]?.body.model, 'one-model');
  assert.equal(s.call.body.model, 'm');
});

test('router: 429 fails over but does not count toward the circuit', async () => {
  const s = setup(1);
  s.one.current = async () => {
    throw new UpstreamError('upstream_error', { retryable: true, upstreamFault: false, upstreamStatus: 429 });
  };
  const { target } = await s.router.forward(s.model, s.call);
  assert.equal(target.upstream, 'two');
  assert.equal(s.router.health().one?.circuit, 'closed');
});

test('router: a local AirlockError (e.g. egress_denied) is not failed over and not an upstream fault', async () => {
  const s = setup(1);
  s.one.current = async () => {
    throw new AirlockError('egress_denied');
  };
  await assert.rejects(
    s.router.forward(s.model, s.call),
    (e: unknown) => e instanceof AirlockError && e.code === 'egress_denied',
  );
  assert.equal(s.a2.calls.length, 0);
  assert.equal(s.router.health().one?.circuit, 'closed');
});

test('router: a fault thrown mid-stream counts toward the circuit of the serving upstream', async () => {
  const s = setup(1);
  s.one.current = async () => ({
    kind: 'stream',
    status: 200,
    chunks: (async function* () {
      yield { n: 1 };
      throw new UpstreamError('upstream_stream_interrupted', { retryable: false, upstreamFault: true });
    })(),
  });
  const { result } = await s.router.forward(s.model, { ...s.call, stream: true });
  const got: unknown[] = [];
  await assert.rejects(async () => {
    if (result.kind === 'stream') for await (const c of result.chunks) got.push(c);
  });
  assert.deepEqual(got, [{ n: 1 }]);
  assert.equal(s.router.health().one?.circuit, 'open');
  assert.deepEqual(
    s.events.filter((e) => e.type === 'circuit'),
    [{ type: 'circuit', upstream: 'one', from: 'closed', to: 'open' }],
  );
});

test('router: a 4xx from a half-open upstream closes its circuit (it answered)', async () => {
  let t = 0;
  const upstreams = [
    upstreamSchema.parse({
      name: 'one',
      kind: 'openai',
      baseUrl: 'http://127.0.0.1:1',
      circuitBreaker: { failures: 1, cooldown: '1s' },
    }),
  ];
  const models = [modelSchema.parse({ alias: 'm', targets: [{ upstream: 'one', model: 'x' }] })];
  const b = {
    current: (async () => {
      throw new UpstreamError('upstream_unavailable', { retryable: true, upstreamFault: true });
    }) as Behaviour,
  };
  const router = createRouter(
    { models, upstreams },
    { adapters: new Map([['one', fakeAdapter('one', b)]]), now: () => t },
  );
  const call: UpstreamCall = {
    endpoint: 'chat',
    body: { model: 'm' },
    stream: false,
    headers: {},
    signal: new AbortController().signal,
  };
  await assert.rejects(
    router.forward(router.resolve('m')!, call),
    (e: unknown) => e instanceof UpstreamError && e.code === 'upstream_unavailable',
  );
  assert.equal(router.health().one?.circuit, 'open');
  t = 1000;
  b.current = async () => {
    throw new UpstreamError('upstream_error', {
      retryable: false,
      upstreamFault: false,
      upstreamStatus: 400,
    });
  };
  await assert.rejects(router.forward(router.resolve('m')!, call));
  assert.equal(router.health().one?.circuit, 'closed');
});
