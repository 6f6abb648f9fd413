// The Ollama adapter against the native-API mock: every endpoint comes back in OpenAI format.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { upstreamSchema } from '../../src/config/schema.ts';
import { createOllamaAdapter } from '../../src/inference/ollama-adapter.ts';
import type { UpstreamAdapter, UpstreamCall, UpstreamResult } from '../../src/inference/types.ts';
import { UpstreamError } from '../../src/inference/upstream-error.ts';
import { type MockOllamaUpstream, startMockOllamaUpstream } from '../helpers/mock-ollama-upstream.ts';
import { defaultBehaviour } from '../helpers/mock-upstream-server.ts';

let up: MockOllamaUpstream;
let adapter: UpstreamAdapter;
type Obj = Record<string, unknown>;

before(async () => {
  up = await startMockOllamaUpstream({ chunkCount: 4 });
  adapter = createOllamaAdapter(upstreamSchema.parse({ name: 'local', kind: 'ollama', baseUrl: up.url }), {
    resolveSecret: () => 'x',
  });
});
beforeEach(() => up.setBehaviour({ ...defaultBehaviour, chunkCount: 4 }));
after(async () => {
  await adapter.close();
  await up.close();
});

function call(endpoint: UpstreamCall['endpoint'], body: Obj, stream = false): UpstreamCall {
  return {
    endpoint,
    body: { model: 'llama3', ...body },
    stream,
    headers: { 'x-request-id': 'r-9' },
    signal: new AbortController().signal,
  };
}

async function chunksOf(r: UpstreamResult): Promise<Obj[]> {
  assert.equal(r.kind, 'stream');
  const out: Obj[] = [];
  if (r.kind === 'stream') for await (const c of r.chunks) out.push(c);
  return out;
}

const firstChoice = (o: Obj) => (o.choices as Obj[])[0]!;

test('ollama: non-streaming chat → chat.completion; request translated to /api/chat with options', async () => {
  const seen = up.requests.length;
  const r = await adapter.call(
    call('chat', { messages: [{ role: 'user', content: 'hi' }], temperature: 0.1, max_tokens: 100 }),
  );
  assert.equal(r.kind, 'json');
  if (r.kind !== 'json') return;
  assert.equal(r.body.object, 'chat.completion');
  assert.match(String(r.body.id), /^chatcmpl-/);
  assert.deepEqual(firstChoice(r.body).message, { role: 'assistant', content: 'tok tok tok tok ' });
  assert.equal(firstChoice(r.body).finish_reason, 'stop');
  assert.deepEqual(r.body.usage, { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });
  const req = up.requests[seen]!;
  assert.equal(req.path, '/api/chat');
  assert.equal(req.headers['x-request-id'], 'r-9');
  assert.equal(req.headers.authorization, undefined, 'no apiKey configured → no Authorization');
  assert.deepEqual(req.body, {
    model: 'llama3',
    messages: [{ role: 'user', content: 'hi' }],
    stream: false,
    options: { temperature: 0.1, num_predict: 100 },
  });
});

test('ollama: streaming chat → chat.completion.chunk objects with finish and usage chunks', async () => {
  const chunks = await chunksOf(
    await adapter.call(
      call('chat', { messages: [], stream: true, stream_options: { include_usage: true } }, true),
    ),
  );
  assert.equal(chunks.length, 6); // 4 content + finish + usage
  assert.deepEqual(firstChoice(chunks[0]!).delta, { role: 'assistant', content: 'tok ' });
  assert.equal(firstChoice(chunks[4]!).finish_reason, 'stop');
  assert.deepEqual(chunks[5]!.usage, { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'one id per response');
});

test('ollama: max_tokens below the answer length → finish_reason length', async () => {
  const r = await adapter.call(call('chat', { messages: [], max_tokens: 2 }));
  if (r.kind === 'json') {
    assert.equal(firstChoice(r.body).finish_reason, 'length');
    assert.deepEqual(r.body.usage, { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 });
  }
});

test('ollama: tool calls, streamed and not, come back as OpenAI tool_calls', async () => {
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
  const r = await adapter.call(call('chat', { messages: [{ role: 'user', content: 'find' }], tools }));
  assert.equal(r.kind, 'json');
  if (r.kind === 'json') {
    const choice = firstChoice(r.body);
    assert.equal(choice.finish_reason, 'tool_calls');
    const tc = (choice.message as { tool_calls: { function: { name: string; arguments: string } }[] })
      .tool_calls[0]!;
    assert.equal(tc.function.name, 'lookup');
    assert.deepEqual(JSON.parse(tc.function.arguments), { q: 'mock' });
  }
  const chunks = await chunksOf(
    await adapter.call(call('chat', { messages: [], tools, stream: true }, true)),
  );
  const delta = firstChoice(chunks[0]!).delta as {
    tool_calls: { index: number; function: { name: string } }[];
  };
  assert.equal(delta.tool_calls[0]?.index, 0);
  assert.equal(delta.tool_calls[0]?.function.name, 'lookup');
  assert.equal(firstChoice(chunks.at(-1)!).finish_reason, 'tool_calls');
});

test('ollama: completions → /api/generate → text_completion, streamed and not', async () => {
  const seen = up.requests.length;
  const r = await adapter.call(call('completions', { prompt: 'Once' }));
  if (r.kind === 'json') {
    assert.equal(r.body.object, 'text_completion');
    assert.equal(firstChoice(r.body).text, 'tok tok tok tok ');
  }
  assert.equal(up.requests[seen]?.path, '/api/generate');
  const chunks = await chunksOf(
    await adapter.call(call('completions', { prompt: 'Once', stream: true }, true)),
  );
  assert.equal(chunks.map((c) => firstChoice(c).text).join(''), 'tok tok tok tok ');
  assert.equal(firstChoice(chunks.at(-1)!).finish_reason, 'stop');
});

test('ollama: embeddings → /api/embed → embedding list (string and array input, base64)', async () => {
  const one = await adapter.call(call('embeddings', { input: 'hello' }));
  const many = await adapter.call(
    call('embeddings', { input: ['hello', 'world'], encoding_format: 'base64' }),
  );
  assert.equal(one.kind, 'json');
  assert.equal(many.kind, 'json');
  if (one.kind !== 'json' || many.kind !== 'json') return;
  const v = (one.body.data as { embedding: number[] }[])[0]!.embedding;
  assert.equal(v.length, 8);
  const b64 = (many.body.data as { embedding: string }[])[0]!.embedding;
  const bytes = Buffer.from(b64, 'base64');
  const decoded = [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)];
  for (const [i, x] of decoded.entries()) assert.ok(Math.abs(x - v[i]!) < 1e-6);
  assert.deepEqual(many.body.usage, { prompt_tokens: 20, total_tokens: 20 });
});

test('ollama: 404 model not found passes the message; 500 is retryable; health uses /api/tags', async () => {
  up.setBehaviour({
    failNext: 1,
    failStatus: 404,
    failMessage: 'model "llama9" not found, try pulling it first',
  });
  await assert.rejects(
    adapter.call(call('chat', { messages: [] })),
    (e: unknown) =>
      e instanceof UpstreamError &&
      e.clientError?.status === 404 &&
      e.clientError.message.startsWith('model "llama9"'),
  );
  up.setBehaviour({ failNext: 1, failStatus: 500 });
  await assert.rejects(
    adapter.call(call('chat', { messages: [] }, true)),
    (e: unknown) => e instanceof UpstreamError && e.retryable,
  );
  const seen = up.requests.length;
  assert.equal(await adapter.checkHealth(AbortSignal.timeout(5000)), true);
  assert.equal(up.requests[seen]?.path, '/api/tags');
});

test('ollama: a stream dying mid-way → upstream_stream_interrupted; abort closes the upstream request', async () => {
  up.setBehaviour({ dieMidStream: 2, chunkDelayMs: 1 });
  await assert.rejects(
    chunksOf(await adapter.call(call('chat', { messages: [] }, true))),
    (e: unknown) => e instanceof UpstreamError && e.code === 'upstream_stream_interrupted',
  );
  up.setBehaviour({ dieMidStream: undefined, stallAfterChunks: 1 });
  const aborted = up.aborted;
  const ac = new AbortController();
  const r = await adapter.call({ ...call('chat', { messages: [] }, true), signal: ac.signal });
  if (r.kind === 'stream') {
    const it = r.chunks[Symbol.asyncIterator]();
    await it.next();
    ac.abort();
    await assert.rejects(it.next());
  }
  await up.waitForAborted(aborted + 1);
});
