// Shared pieces of the OpenAI adapter suites (router-openai-adapter, router-timeouts): an upstream
// config with an injected credential, a chat call, and helpers to drain a stream or expect a code.
import assert from 'node:assert/strict';
import { upstreamSchema } from '../../src/config/schema.ts';
import type { UpstreamCall, UpstreamResult } from '../../src/inference/types.ts';
import { UpstreamError } from '../../src/inference/upstream-error.ts';

export const SECRET = 'sk-live-DO-NOT-LEAK-1234567890';

export function config(baseUrl: string, timeouts: Record<string, string> = {}) {
  return upstreamSchema.parse({
    name: 'primary',
    kind: 'openai',
    baseUrl,
    apiKey: 'secret:UPSTREAM_KEY',
    timeouts,
  });
}
export const resolveSecret = (ref: string) => {
  assert.equal(ref, 'secret:UPSTREAM_KEY');
  return SECRET;
};

export function chat(extra: Partial<UpstreamCall> = {}, body: Record<string, unknown> = {}): UpstreamCall {
  const stream = extra.stream ?? false;
  return {
    endpoint: 'chat',
    body: {
      model: 'm1',
      messages: [{ role: 'user', content: 'hi' }],
      ...(stream ? { stream: true } : {}),
      ...body,
    },
    stream,
    headers: {
      'x-request-id': 'req-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    },
    signal: new AbortController().signal,
    ...extra,
  };
}

export async function drain(r: UpstreamResult): Promise<Record<string, unknown>[]> {
  assert.equal(r.kind, 'stream');
  const out: Record<string, unknown>[] = [];
  if (r.kind === 'stream') for await (const c of r.chunks) out.push(c);
  return out;
}

export async function rejectsWith(p: Promise<unknown>, code: string): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof UpstreamError, `expected UpstreamError, got ${String(err)}`);
    assert.equal(err.code, code, err.detail);
    return err;
  }
  assert.fail(`expected ${code}`);
}
