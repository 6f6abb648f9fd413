// The embedded worker's OpenAI-compatible API, driven by the official openai client against a real
// worker process serving the generated demo model on loopback.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { writeDemoModel } from '../../src/inference/worker/demo-model.ts';
import { createWorkerSupervisor, type WorkerSupervisor } from '../../src/inference/worker/supervisor.ts';

const silent = { info() {}, warn() {}, error() {} };
let dir: string;
let supervisor: WorkerSupervisor;
let client: OpenAI;
let baseUrl: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-worker-api-'));
  const modelPath = join(dir, 'demo.gguf');
  await writeDemoModel(modelPath);
  supervisor = createWorkerSupervisor(
    { name: 'demo', modelPath, contextSize: 512, port: 0 },
    { logger: silent },
  );
  ({ baseUrl } = await supervisor.start());
  client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await supervisor?.stop();
  await rm(dir, { recursive: true, force: true });
});

const messages = [
  { role: 'system' as const, content: 'You are a demo.' },
  { role: 'user' as const, content: 'Say something.' },
];

test('chat: JSON response has content, finish_reason and usage', async () => {
  const res = await client.chat.completions.create({ model: 'demo', messages, max_tokens: 8, seed: 1 });
  assert.equal(res.object, 'chat.completion');
  assert.equal(res.model, 'demo');
  const choice = res.choices[0]!;
  assert.equal(choice.message.role, 'assistant');
  assert.ok((choice.message.content ?? '').length > 0);
  assert.ok(choice.finish_reason === 'length' || choice.finish_reason === 'stop');
  assert.ok(res.usage!.prompt_tokens > 10, 'the system and user messages are counted');
  assert.ok(res.usage!.completion_tokens >= 1 && res.usage!.completion_tokens <= 8);
  assert.equal(res.usage!.total_tokens, res.usage!.prompt_tokens + res.usage!.completion_tokens);
});

test('chat: same seed and temperature → same output', async () => {
  const ask = () =>
    client.chat.completions.create({ model: 'demo', messages, max_tokens: 8, seed: 42, temperature: 1 });
  const [a, b] = [await ask(), await ask()];
  assert.equal(a.choices[0]!.message.content, b.choices[0]!.message.content);
});

test('chat: streaming sends role, content chunks, finish_reason and usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'demo',
    messages,
    max_tokens: 12,
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.length >= 3);
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
  assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.ok(text.length > 0);
  const last = chunks.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage!.completion_tokens >= 1 && last.usage!.completion_tokens <= 12);
  const finish = chunks.at(-2)!.choices[0]!.finish_reason;
  assert.ok(finish === 'length' || finish === 'stop');
});

test('chat: max_tokens is honoured', async () => {
  const res = await client.chat.completions.create({ model: 'demo', messages, max_tokens: 2 });
  assert.ok(res.usage!.completion_tokens <= 2);
  assert.equal(res.choices[0]!.finish_reason, 'length');
});

test('completions: JSON and streaming', async () => {
  const res = await client.completions.create({
    model: 'demo',
    prompt: 'The air',
    max_tokens: 6,
    temperature: 0,
  });
  assert.equal(res.object, 'text_completion');
  assert.ok(res.choices[0]!.text.length > 0);
  assert.equal(res.usage!.completion_tokens, 6);
  const stream = await client.completions.create({
    model: 'demo',
    prompt: 'The air',
    max_tokens: 6,
    temperature: 0,
    stream: true,
  });
  let text = '';
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.text ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, res.choices[0]!.text, 'greedy streaming matches greedy JSON');
  assert.equal(finish, 'length');
});

test('completions: a stop sequence ends generation with finish_reason stop and is not returned', async () => {
  const full = await client.completions.create({
    model: 'demo',
    prompt: 'The air',
    max_tokens: 12,
    temperature: 0,
  });
  const text = full.choices[0]!.text;
  const stop = text.slice(3, 4);
  const res = await client.completions.create({
    model: 'demo',
    prompt: 'The air',
    max_tokens: 12,
    temperature: 0,
    stop,
  });
  assert.equal(res.choices[0]!.finish_reason, 'stop');
  assert.equal(res.choices[0]!.text, text.slice(0, text.indexOf(stop)));
});

test('embeddings: float vectors through the openai client (base64 on the wire)', async () => {
  const res = await client.embeddings.create({ model: 'demo', input: ['hello', 'world'] });
  assert.equal(res.data.length, 2);
  assert.equal(res.data[0]!.embedding.length, 64);
  assert.ok(res.data[0]!.embedding.every((x) => Number.isFinite(x)));
  assert.ok(res.usage.prompt_tokens > 0);
});

test('models and health', async () => {
  const models = await client.models.list();
  assert.deepEqual(
    models.data.map((m) => m.id),
    ['demo'],
  );
  const health = await fetch(`${baseUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');
});

test('errors: invalid requests get the OpenAI error envelope', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'demo', messages: [], max_tokens: 4 }),
    (err: unknown) => err instanceof OpenAI.BadRequestError && err.code === 'invalid_request',
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'demo', messages, n: 2 }),
    (err: unknown) => err instanceof OpenAI.BadRequestError,
  );
  const notFound = await fetch(`${baseUrl}/v1/nope`);
  assert.equal(notFound.status, 404);
  assert.equal(((await notFound.json()) as { error: { code: string } }).error.code, 'not_found');
  const badJson = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{',
  });
  assert.equal(badJson.status, 400);
});

test('concurrency: parallel requests queue on the sequence and all succeed', async () => {
  const results = await Promise.all(
    [1, 2, 3, 4].map((seed) =>
      client.chat.completions.create({ model: 'demo', messages, max_tokens: 6, seed }),
    ),
  );
  for (const r of results) assert.ok(r.usage!.completion_tokens >= 1);
});

test('abort: a client that goes away mid-stream frees the worker for the next request', async () => {
  const ac = new AbortController();
  const stream = await client.chat.completions.create(
    { model: 'demo', messages, max_tokens: 450, stream: true },
    { signal: ac.signal },
  );
  let finish: string | null = null;
  // The openai client ends the iteration quietly on abort (or throws, depending on timing).
  await (async () => {
    for await (const chunk of stream) {
      finish = chunk.choices[0]?.finish_reason ?? finish;
      ac.abort();
    }
  })().catch(() => {});
  assert.equal(finish, null, 'the stream was cut before it finished');
  const res = await client.chat.completions.create({ model: 'demo', messages, max_tokens: 4 });
  assert.ok(res.choices[0]!.message.content!.length > 0);
  const health = (await (await fetch(`${baseUrl}/healthz`)).json()) as { slots: { busy: number } };
  assert.equal(health.slots.busy, 0);
});
