// The OpenAI adapter against the mock upstream: wire format, credentials, timeouts, aborts and errors.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import OpenAI from 'openai';
import { createOpenAiAdapter } from '../../src/inference/openai-adapter.ts';
import type { UpstreamAdapter } from '../../src/inference/types.ts';
import type { UpstreamError } from '../../src/inference/upstream-error.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import { closedLoopbackPort, defaultBehaviour } from '../helpers/mock-upstream-server.ts';
import {
  chat,
  config,
  drain,
  rejectsWith,
  resolveSecret,
  SECRET,
} from '../helpers/openai-adapter-fixture.ts';

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

test('openai client: the mock upstream is OpenAI-compatible (chat, stream with usage, tools, embeddings, models)', async () => {
  const client = new OpenAI({ baseURL: `${up.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  const done = await client.chat.completions.create({
    model: 'm1',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(done.choices[0]?.message.content, 'tok '.repeat(20));
  assert.equal(done.usage?.completion_tokens, 20);

  const stream = await client.chat.completions.create({
    model: 'm1',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let usage: unknown;
  for await (const c of stream) {
    text += c.choices[0]?.delta.content ?? '';
    if (c.usage) usage = c.usage;
  }
  assert.equal(text, 'tok '.repeat(20));
  assert.deepEqual(usage, { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 });

  const tools = await client.chat.completions.create({
    model: 'm1',
    messages: [{ role: 'user', content: 'weather?' }],
    tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
  });
  const call = tools.choices[0]?.message.tool_calls?.[0];
  assert.equal(tools.choices[0]?.finish_reason, 'tool_calls');
  assert.ok(call && call.type === 'function');
  assert.equal(call.function.name, 'weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { q: 'mock' });

  const runner = client.chat.completions.stream({
    model: 'm1',
    messages: [{ role: 'user', content: 'weather?' }],
    tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
  });
  const final = await runner.finalChatCompletion();
  const streamedCall = final.choices[0]?.message.tool_calls?.[0];
  assert.ok(streamedCall && streamedCall.type === 'function');
  assert.deepEqual(JSON.parse(streamedCall.function.arguments), { q: 'mock' });

  // The client asks for base64 by default and decodes it; compare with the float form.
  const b64 = await client.embeddings.create({ model: 'e1', input: ['alpha', 'beta'] });
  const floats = await client.embeddings.create({
    model: 'e1',
    input: ['alpha', 'beta'],
    encoding_format: 'float',
  });
  assert.equal(b64.data.length, 2);
  assert.equal(b64.data[0]?.embedding.length, 8);
  for (let i = 0; i < 8; i++)
    assert.ok(Math.abs((b64.data[1]?.embedding[i] ?? 0) - (floats.data[1]?.embedding[i] ?? 9)) < 1e-6);

  const models = await client.models.list();
  assert.deepEqual(
    models.data.map((m) => m.id),
    ['mock-model'],
  );
});

test('adapter: non-streaming chat passes the body through and injects the credential and trace headers', async () => {
  const before = up.requests.length;
  const r = await adapter.call(chat({}, { temperature: 0.3, custom_field: 1 }));
  assert.equal(r.kind, 'json');
  assert.equal(r.status, 200);
  if (r.kind === 'json') assert.equal((r.body.usage as { completion_tokens: number }).completion_tokens, 20);
  const seen = up.requests[before]!;
  assert.equal(seen.path, '/v1/chat/completions');
  assert.equal(seen.headers.authorization, `Bearer ${SECRET}`);
  assert.equal(seen.headers['x-request-id'], 'req-1');
  assert.match(String(seen.headers.traceparent), /^00-0af7/);
  assert.deepEqual(seen.body, {
    model: 'm1',
    messages: [{ role: 'user', content: 'hi' }],
    temperature: 0.3,
    custom_field: 1,
  });
});

test('adapter: a baseUrl ending in /v1 and one without both reach /v1/...', async () => {
  const withV1 = createOpenAiAdapter(config(`${up.url}/v1/`), { resolveSecret });
  try {
    const before = up.requests.length;
    await withV1.call({ ...chat(), endpoint: 'completions', body: { model: 'm1', prompt: 'x' } });
    await adapter.call({ ...chat(), endpoint: 'embeddings', body: { model: 'e', input: 'x' } });
    assert.deepEqual(
      up.requests.slice(before).map((r) => r.path),
      ['/v1/completions', '/v1/embeddings'],
    );
    assert.equal(await withV1.checkHealth(AbortSignal.timeout(5000)), true);
  } finally {
    await withV1.close();
  }
});

test('adapter: streams parse into chunk objects; the caller-set x-request-id cannot override the credential', async () => {
  const before = up.requests.length;
  const chunks = await drain(
    await adapter.call(chat({ stream: true, headers: { authorization: 'Bearer client' } })),
  );
  assert.equal(chunks.length, 21); // 20 content chunks + the finish chunk; [DONE] is not a chunk
  assert.equal(up.requests[before]?.headers.authorization, `Bearer ${SECRET}`);
  const text = chunks
    .map((c) => (c.choices as { delta: { content?: string } }[])[0]?.delta.content ?? '')
    .join('');
  assert.equal(text, 'tok '.repeat(20));
});

test('adapter: slow chunked stream (one write per chunk) arrives whole', async () => {
  up.setBehaviour({ chunkDelayMs: 1, chunkCount: 5 });
  assert.equal((await drain(await adapter.call(chat({ stream: true })))).length, 6);
});

test('adapter: connection refused → upstream_unavailable, retryable', async () => {
  const port = await closedLoopbackPort();
  const a = createOpenAiAdapter(config(`http://127.0.0.1:${port}`), { resolveSecret });
  try {
    const err = await rejectsWith(a.call(chat()), 'upstream_unavailable');
    assert.equal(err.retryable, true);
    assert.equal(err.upstreamFault, true);
    assert.equal(await a.checkHealth(AbortSignal.timeout(5000)), false);
  } finally {
    await a.close();
  }
});

test('adapter: connection reset before any response → upstream_unavailable, retryable', async () => {
  up.setBehaviour({ dropNext: 1 });
  const err = await rejectsWith(adapter.call(chat()), 'upstream_unavailable');
  assert.equal(err.retryable, true);
});

test('adapter: 5xx before the first byte → upstream_error, retryable, with the status', async () => {
  up.setBehaviour({ failNext: 1, failStatus: 503 });
  const err = await rejectsWith(adapter.call(chat({ stream: true })), 'upstream_error');
  assert.equal(err.retryable, true);
  assert.equal(err.upstreamStatus, 503);
  assert.equal(err.clientError, undefined, '5xx details stay internal');
});

test('adapter: 4xx → not retryable; the upstream message reaches the client scrubbed of addresses', async () => {
  up.setBehaviour({
    failNext: 1,
    failStatus: 400,
    failMessage: `temperature must be <= 2 (from http://10.1.2.3:8000/v1 at gpu-7.cluster.local:8000, /srv/models/llama.gguf)`,
  });
  const err = await rejectsWith(adapter.call(chat()), 'upstream_error');
  assert.equal(err.retryable, false);
  assert.equal(err.upstreamFault, false);
  assert.equal(err.clientError?.status, 400);
  assert.equal(err.clientError?.type, 'invalid_request_error');
  assert.equal(err.clientError?.message, 'temperature must be <= 2 (from [url] at [host], [path])');
});

test('adapter: the credential never appears in any error, detail, cause or stack', async () => {
  up.setBehaviour({ failNext: 1, failStatus: 401, failMessage: `Incorrect API key provided: ${SECRET}` });
  const errors: unknown[] = [];
  await adapter.call(chat()).catch((e) => errors.push(e));
  up.setBehaviour({ failNext: 1, failStatus: 500 });
  await adapter.call(chat()).catch((e) => errors.push(e));
  up.setBehaviour({ dropNext: 1 });
  await adapter.call(chat()).catch((e) => errors.push(e));
  assert.equal(errors.length, 3);
  for (const e of errors) {
    const err = e as UpstreamError;
    const text = [
      err.message,
      err.detail,
      err.stack,
      JSON.stringify(err),
      String(err.cause),
      (err.cause as Error)?.stack,
    ].join('\n');
    assert.ok(!text.includes(SECRET), text);
  }
  // A 401/403 is about airlock's own upstream credential, not the client's: it stays internal and
  // another target (with its own key) may serve the request.
  const denied = errors[0] as UpstreamError;
  assert.equal(denied.clientError, undefined);
  assert.equal(denied.retryable, true);
});

test('adapter: an upstream 4xx echoing the key or a token has them scrubbed from the client message', async () => {
  up.setBehaviour({
    failNext: 1,
    failStatus: 400,
    failMessage: `bad request for key ${SECRET} and Bearer abc.def.ghi`,
  });
  const err = await rejectsWith(adapter.call(chat()), 'upstream_error');
  assert.equal(err.clientError?.message, 'bad request for key [secret] and Bearer [secret]');
});

test('adapter: mid-stream socket death → upstream_stream_interrupted from the iterator', async () => {
  up.setBehaviour({ dieMidStream: 3, chunkDelayMs: 1 });
  const r = await adapter.call(chat({ stream: true }));
  assert.equal(r.kind, 'stream');
  const got: unknown[] = [];
  const err = await rejectsWith(
    (async () => {
      if (r.kind === 'stream') for await (const c of r.chunks) got.push(c);
    })(),
    'upstream_stream_interrupted',
  );
  assert.equal(err.retryable, false);
  assert.equal(got.length, 3);
});

test('adapter: a completed stream keeps the connection alive (no client-abort seen upstream)', async () => {
  const aborted = up.aborted;
  for (let i = 0; i < 5; i++) await drain(await adapter.call(chat({ stream: true })));
  assert.equal(up.aborted, aborted);
});
