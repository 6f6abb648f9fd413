// The official `openai` client against the gateway, with a real OpenAI-compatible upstream on loopback.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { type Harness, postJson, startHarness } from '../helpers/gateway-harness.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';

describe('gateway /v1 with the openai client', () => {
  let upstream: MockOpenAiUpstream;
  let h: Harness;
  let client: OpenAI;

  before(async () => {
    upstream = await startMockOpenAiUpstream({ chunkCount: 5, record: true });
    h = await startHarness(upstream.url);
    client = new OpenAI({ apiKey: h.clientKey, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  test('chat JSON: answer, usage, alias shown to the client, upstream model and credential injected', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hello' }],
    });
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.model, 'gpt-test');
    assert.ok(res.choices[0]?.message.content?.includes('tok'));
    assert.ok((res.usage?.total_tokens ?? 0) > 0);
    const seen = upstream.requests.at(-1)!;
    assert.equal((seen.body as Record<string, unknown>).model, 'upstream-model');
    assert.equal(seen.headers.authorization, 'Bearer sk-upstream-secret-value');
    assert.ok(!JSON.stringify(seen.headers).includes(h.clientKey), 'the client key never goes upstream');
    assert.match(String(seen.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    assert.match(String(seen.headers['x-request-id']), /^req_/);
  });

  test('caller trace id is continued upstream', async () => {
    const traceId = 'a'.repeat(32);
    await postJson(
      `${h.url}/v1/chat/completions`,
      h.clientKey,
      { model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] },
      { traceparent: `00-${traceId}-${'b'.repeat(16)}-01` },
    );
    assert.ok(String(upstream.requests.at(-1)!.headers.traceparent).startsWith(`00-${traceId}-`));
  });

  test('chat streaming: chunks in order, [DONE], usage counted although the client did not ask for it', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      assert.equal(chunk.model, 'gpt-test');
      assert.equal(chunk.usage ?? undefined, undefined, 'usage chunk is consumed by the gateway');
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.ok(chunks >= 5);
    assert.equal(text.trim().split(/\s+/).length, 5);
    const entry = h.audit.entries.filter((e) => e.type === 'request.completed').at(-1)!;
    const usage = (entry.detail as { usage: { completionTokens: number } }).usage;
    assert.ok(usage.completionTokens > 0);
    assert.equal(
      (upstream.requests.at(-1)!.body as { stream_options: { include_usage: boolean } }).stream_options
        .include_usage,
      true,
    );
  });

  test('streaming with include_usage passes the usage chunk through', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    let usage: unknown;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    assert.ok(usage);
  });

  test('completions and embeddings', async () => {
    const c = await client.completions.create({ model: 'gpt-test', prompt: 'say' });
    assert.ok(c.choices[0]?.text.includes('tok'));
    const e = await client.embeddings.create({ model: 'gpt-test', input: ['a', 'b'] });
    assert.equal(e.data.length, 2);
    assert.ok(e.data[0]!.embedding.length > 0);
  });

  test('tool calling passes tools through and returns the tool call', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
    });
    assert.equal(res.choices[0]?.finish_reason, 'tool_calls');
    const call = res.choices[0]?.message.tool_calls?.[0];
    assert.equal(call?.type === 'function' ? call.function.name : undefined, 'get_weather');
  });

  test('unknown fields pass through to the upstream', async () => {
    await postJson(`${h.url}/v1/chat/completions`, h.clientKey, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'x' }],
      repetition_penalty: 1.1,
    });
    assert.equal((upstream.requests.at(-1)!.body as Record<string, unknown>).repetition_penalty, 1.1);
  });

  test('models list shows only the models the key may use', async () => {
    const list = await client.models.list();
    assert.deepEqual(
      list.data.map((m) => m.id),
      ['gpt-test'],
    );
  });

  test('a model outside the key scope looks like an unknown model', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'other', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.NotFoundError);
        assert.equal(err.code, 'model_not_found');
        return true;
      },
    );
    await assert.rejects(
      client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
      OpenAI.NotFoundError,
    );
  });

  test('invalid parameters: OpenAI error with a stable code and the parameter named', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'gpt-test',
        temperature: 7,
        messages: [{ role: 'user', content: 'x' }],
      }),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError);
        assert.equal(err.code, 'invalid_request');
        assert.match(err.message, /temperature/);
        return true;
      },
    );
  });

  test('upstream 4xx is passed on as upstream_error with its safe message', async () => {
    upstream.setBehaviour({ failNext: 1, failStatus: 400, failMessage: 'bad temperature' });
    const r = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.equal(r.status, 400, 'the upstream 4xx status is kept');
    assert.equal((r.json!.error as Record<string, unknown>).code, 'upstream_error');
    assert.match(String((r.json!.error as Record<string, unknown>).message), /bad temperature/);
    assert.ok(!r.text.includes('127.0.0.1'), 'no internal address leaks');
  });

  test('every request ends as an audit entry without key material', async () => {
    const completed = h.audit.entries.filter((e) => e.type === 'request.completed');
    assert.ok(completed.length >= 8);
    const all = JSON.stringify(h.audit.entries);
    assert.ok(!all.includes(h.clientKey));
    assert.ok(!all.includes('sk-upstream-secret-value'));
    assert.ok(!all.includes('hello'), 'prompts are not recorded');
  });

  test('/metrics and /readyz', async () => {
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    assert.match(metrics, /airlock_requests_total\{operation="chat",model="gpt-test",status="200"\} \d+/);
    assert.match(metrics, /airlock_time_to_first_token_seconds_bucket/);
    const ready = await fetch(`${h.url}/readyz`);
    assert.equal(ready.status, 200);
  });
});
