// Failure cases with real processes and sockets: upstream down, dying mid-stream, client abort,
// timeouts, expired and revoked keys, quotas (rate, concurrency, token budget mid-stream), bad input,
// and fail-closed when the audit log cannot be written.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { type Harness, postJson, startHarness } from '../helpers/gateway-harness.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'gpt-test',
  messages: [{ role: 'user', content: 'x' }],
  ...extra,
});
const code = (r: { json?: Record<string, unknown> }) =>
  (r.json?.error as { code?: string } | undefined)?.code;

describe('gateway failure handling', () => {
  let upstream: MockOpenAiUpstream;
  let h: Harness;

  before(async () => {
    upstream = await startMockOpenAiUpstream({ chunkCount: 5 });
    h = await startHarness(upstream.url, {
      quotas: {
        perKey: { requestsPerMinute: 10_000, concurrency: 4 },
        perModel: { other: { requestsPerMinute: 1 } },
      },
      limits: { bodyBytes: 64 * 1024, maxMessages: 8 },
    });
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  test('upstream dies mid-stream: error event, no [DONE], outcome recorded', async () => {
    upstream.setBehaviour({ dieMidStream: 2, chunkDelayMs: 5 });
    const r = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, chat({ stream: true }));
    upstream.setBehaviour({ dieMidStream: undefined, chunkDelayMs: 0 });
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes('[DONE]'));
    assert.match(r.text, /"code":"upstream_stream_interrupted"/);
    const last = h.audit.entries.filter((e) => e.type === 'request.completed').at(-1)!;
    assert.equal(last.code, 'upstream_stream_interrupted');
  });

  test('the openai client surfaces a mid-stream failure as an error', async () => {
    upstream.setBehaviour({ dieMidStream: 1, chunkDelayMs: 5 });
    const client = new OpenAI({ apiKey: h.clientKey, baseURL: `${h.url}/v1`, maxRetries: 0 });
    await assert.rejects(async () => {
      const stream = await client.chat.completions.create({ ...chat(), stream: true } as never);
      for await (const _ of stream as unknown as AsyncIterable<unknown>) {
        // drain
      }
    });
    upstream.setBehaviour({ dieMidStream: undefined, chunkDelayMs: 0 });
  });

  test('client disconnect aborts the upstream request', async () => {
    upstream.setBehaviour({ chunkDelayMs: 200, chunkCount: 50 });
    const abortedBefore = upstream.aborted;
    await new Promise<void>((resolve) => {
      const req = request(`${h.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${h.clientKey}` },
      });
      req.on('response', (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.end(JSON.stringify(chat({ stream: true })));
    });
    await upstream.waitForAborted(abortedBefore + 1);
    upstream.setBehaviour({ chunkDelayMs: 0, chunkCount: 5 });
    await waitFor(() =>
      h.audit.entries.some(
        (e) =>
          e.type === 'request.completed' && (e.detail as { clientAborted?: boolean }).clientAborted === true,
      ),
    );
  });

  test('idle timeout between chunks ends the stream with upstream_timeout', async () => {
    upstream.setBehaviour({ stallAfterChunks: 1 });
    const r = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, chat({ stream: true }));
    upstream.setBehaviour({ stallAfterChunks: undefined });
    assert.match(r.text, /"code":"upstream_timeout"/);
  });

  test('first-byte timeout → 504 upstream_timeout', async () => {
    upstream.setBehaviour({ latencyMs: 5000 });
    const r = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, chat());
    upstream.setBehaviour({ latencyMs: 0 });
    assert.equal(r.status, 504);
    assert.equal(code(r), 'upstream_timeout');
  });

  test('expired and revoked keys are refused on the next request', async () => {
    const short = await h.gateway.keys.create({ owner: 'short', ttlMs: 300, actor: 'test' });
    assert.equal((await postJson(`${h.url}/v1/chat/completions`, short.key, chat())).status, 200);
    await new Promise((r) => setTimeout(r, 400));
    const expired = await postJson(`${h.url}/v1/chat/completions`, short.key, chat());
    assert.equal(expired.status, 401);
    assert.equal(code(expired), 'expired_api_key');

    const k = await h.gateway.keys.create({ owner: 'rev', ttlMs: 60_000, actor: 'test' });
    assert.equal((await postJson(`${h.url}/v1/chat/completions`, k.key, chat())).status, 200);
    await h.gateway.keys.revoke(k.id, 'test');
    const revoked = await postJson(`${h.url}/v1/chat/completions`, k.key, chat());
    assert.equal(revoked.status, 401);
    assert.equal(code(revoked), 'revoked_api_key');
  });

  test('missing and malformed credentials', async () => {
    assert.equal(
      code(await postJson(`${h.url}/v1/chat/completions`, undefined, chat())),
      'missing_credentials',
    );
    assert.equal(
      code(await postJson(`${h.url}/v1/chat/completions`, 'alk_short', chat())),
      'invalid_api_key',
    );
    const adminOnV1 = await postJson(`${h.url}/v1/chat/completions`, h.adminKey, chat());
    assert.equal(adminOnV1.status, 401, 'admin keys never call models');
  });

  test('unauthenticated callers learn nothing about their body', async () => {
    const r = await postJson(`${h.url}/v1/chat/completions`, undefined, { model: 1 });
    assert.equal(code(r), 'missing_credentials');
  });

  test('rate limit per model → 429 with Retry-After', async () => {
    const wide = await h.gateway.keys.create({ owner: 'wide', ttlMs: 60_000, actor: 'test' });
    const first = await postJson(`${h.url}/v1/chat/completions`, wide.key, chat({ model: 'other' }));
    assert.equal(first.status, 200);
    const second = await postJson(`${h.url}/v1/chat/completions`, wide.key, chat({ model: 'other' }));
    assert.equal(second.status, 429);
    assert.equal(code(second), 'rate_limited');
    assert.ok(Number(second.headers.get('retry-after')) >= 1);
  });

  test('concurrency cap per key → 429 concurrency_limited', async () => {
    upstream.setBehaviour({ latencyMs: 300 });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => postJson(`${h.url}/v1/chat/completions`, h.clientKey, chat())),
    );
    upstream.setBehaviour({ latencyMs: 0 });
    const limited = results.filter((r) => code(r) === 'concurrency_limited');
    assert.equal(results.filter((r) => r.status === 200).length, 4);
    assert.equal(limited.length, 2);
  });

  test('bad input: size, content type, JSON, message count, parameters', async () => {
    const big = await postJson(
      `${h.url}/v1/chat/completions`,
      h.clientKey,
      chat({ messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] }),
    );
    assert.equal(big.status, 413);
    assert.equal(code(big), 'body_too_large');
    const ct = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${h.clientKey}` },
      body: 'hi',
    });
    assert.equal(ct.status, 415);
    assert.equal(((await ct.json()) as { error: { code: string } }).error.code, 'unsupported_media_type');
    const bad = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, '{"model":');
    assert.equal(code(bad), 'invalid_json');
    const proto = await postJson(
      `${h.url}/v1/chat/completions`,
      h.clientKey,
      '{"__proto__":{"x":1},"model":"gpt-test","messages":[]}',
    );
    assert.equal(proto.status, 400);
    const many = await postJson(
      `${h.url}/v1/chat/completions`,
      h.clientKey,
      chat({ messages: Array.from({ length: 9 }, () => ({ role: 'user', content: 'x' })) }),
    );
    assert.equal(code(many), 'invalid_request');
    const role = await postJson(
      `${h.url}/v1/chat/completions`,
      h.clientKey,
      chat({ messages: [{ role: 'wizard', content: 'x' }] }),
    );
    assert.equal(code(role), 'invalid_request');
    for (const r of [big, bad, proto, many, role])
      assert.ok(!/at .*\.ts:\d+/.test(r.text), 'no stack traces');
    const nf = await fetch(`${h.url}/v1/nothing`);
    assert.equal(nf.status, 404);
  });

  test('audit log unwritable → 503 audit_unavailable, nothing forwarded; recovers after', async () => {
    const posts = () => upstream.requests.filter((r) => r.method === 'POST').length;
    const before = posts();
    h.audit.setBroken('disk full');
    const r = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, chat());
    const ready = await fetch(`${h.url}/readyz`);
    const readyBody = (await ready.json()) as { checks: { audit: { ok: boolean; reason: string } } };
    h.audit.setBroken(undefined);
    assert.equal(r.status, 503);
    assert.equal(code(r), 'audit_unavailable');
    assert.equal(posts(), before, 'nothing reached the upstream');
    assert.equal(ready.status, 503);
    assert.equal(readyBody.checks.audit.reason, 'disk full');
    assert.equal((await postJson(`${h.url}/v1/chat/completions`, h.clientKey, chat())).status, 200);
  });
});

describe('token budget ends a stream that crosses it', () => {
  let upstream: MockOpenAiUpstream;
  let h: Harness;
  before(async () => {
    upstream = await startMockOpenAiUpstream({ chunkCount: 30 });
    h = await startHarness(upstream.url, { quotas: { perKey: { tokensPerDay: 10 } } });
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  test('stream is cut with token_budget_exceeded, then requests get 429', async () => {
    const r = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, chat({ stream: true }));
    assert.equal(r.status, 200);
    assert.match(r.text, /"code":"token_budget_exceeded"/);
    assert.ok(!r.text.includes('[DONE]'));
    const content = r.text.split('\n').filter((l) => l.includes('"content":"tok'));
    assert.ok(content.length <= 10, `stopped at the budget (${content.length} chunks)`);
    const next = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, chat());
    assert.equal(next.status, 429);
    assert.equal(code(next), 'token_budget_exceeded');
  });
});

describe('upstream down', () => {
  test('connection refused → 502 upstream_unavailable', async () => {
    const up = await startMockOpenAiUpstream();
    const url = up.url;
    await up.close();
    const h = await startHarness(url);
    try {
      const r = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, chat());
      assert.equal(r.status, 502);
      assert.equal(code(r), 'upstream_unavailable');
      assert.ok(!r.text.includes(new URL(url).port), 'upstream address not leaked');
    } finally {
      await h.close();
    }
  });
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
