// The OpenAI adapter against the mock upstream: the four timeouts and cancellation by the caller.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createOpenAiAdapter } from '../../src/inference/openai-adapter.ts';
import type { UpstreamAdapter } from '../../src/inference/types.ts';
import { UpstreamError } from '../../src/inference/upstream-error.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import { defaultBehaviour } from '../helpers/mock-upstream-server.ts';
import { chat, config, drain, rejectsWith, resolveSecret } from '../helpers/openai-adapter-fixture.ts';

let up: MockOpenAiUpstream;
let adapter: UpstreamAdapter;

before(async () => {
  up = await startMockOpenAiUpstream();
  adapter = createOpenAiAdapter(config(up.url, { firstByte: '2s', idle: '2s' }), { resolveSecret });
});
beforeEach(() => up.setBehaviour({ ...defaultBehaviour }));
after(async () => {
  await adapter.close();
  await up.close();
});

test('adapter: a stalled stream hits the idle timeout → upstream_timeout', async () => {
  const a = createOpenAiAdapter(config(up.url, { idle: '150ms' }), { resolveSecret });
  try {
    up.setBehaviour({ stallAfterChunks: 2, chunkDelayMs: 1 });
    const r = await a.call(chat({ stream: true }));
    const err = await rejectsWith(drain(r), 'upstream_timeout');
    assert.match(err.detail ?? '', /no data/);
    assert.equal(err.upstreamFault, true);
  } finally {
    await a.close();
  }
});

test('adapter: no response headers within firstByte → upstream_timeout, not retryable', async () => {
  const a = createOpenAiAdapter(config(up.url, { firstByte: '150ms' }), { resolveSecret });
  try {
    up.setBehaviour({ latencyMs: 30_000 });
    const err = await rejectsWith(a.call(chat()), 'upstream_timeout');
    assert.match(err.detail ?? '', /response headers/);
    assert.equal(err.retryable, false);
  } finally {
    await a.close();
  }
});

test('adapter: the total deadline ends a stream that keeps trickling', async () => {
  const a = createOpenAiAdapter(config(up.url, { total: '300ms', idle: '5s' }), { resolveSecret });
  try {
    up.setBehaviour({ chunkCount: 100_000, chunkDelayMs: 5 });
    const aborted = up.aborted;
    // On a loaded machine the deadline may pass before the headers; either way it is the total deadline.
    const err = await rejectsWith(
      (async () => drain(await a.call(chat({ stream: true }))))(),
      'upstream_timeout',
    );
    assert.match(err.detail ?? '', /total deadline/);
    await up.waitForAborted(aborted + 1);
  } finally {
    await a.close();
  }
});

test('adapter: client abort mid-stream closes the upstream request', async () => {
  up.setBehaviour({ stallAfterChunks: 2, chunkDelayMs: 1 });
  const aborted = up.aborted;
  const ac = new AbortController();
  const r = await adapter.call(chat({ stream: true, signal: ac.signal }));
  assert.equal(r.kind, 'stream');
  if (r.kind !== 'stream') return;
  const it = r.chunks[Symbol.asyncIterator]();
  await it.next();
  ac.abort();
  await assert.rejects(it.next(), (e: Error) => e.name === 'AbortError');
  await up.waitForAborted(aborted + 1);
});

test('adapter: client abort while waiting for headers closes the upstream request', async () => {
  up.setBehaviour({ latencyMs: 30_000 });
  const aborted = up.aborted;
  const ac = new AbortController();
  const seen = up.requests.length;
  const p = adapter.call(chat({ signal: ac.signal }));
  await up.waitForRequests(seen + 1);
  ac.abort();
  await assert.rejects(p, (e: Error) => e.name === 'AbortError' && !(e instanceof UpstreamError));
  await up.waitForAborted(aborted + 1);
});

test('adapter: breaking out of the chunk loop closes the upstream request', async () => {
  up.setBehaviour({ stallAfterChunks: 3, chunkDelayMs: 1 });
  const aborted = up.aborted;
  const r = await adapter.call(chat({ stream: true }));
  if (r.kind === 'stream') for await (const _ of r.chunks) break;
  await up.waitForAborted(aborted + 1);
});
