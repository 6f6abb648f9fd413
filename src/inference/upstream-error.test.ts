import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockError } from '../errors.ts';
import {
  clientErrorFromBody,
  isRetryable,
  isUpstreamFault,
  safeUpstreamMessage,
  UpstreamError,
} from './upstream-error.ts';

test('safeUpstreamMessage: URLs, IPv4/IPv6, internal hosts, host:port and paths are removed', () => {
  const cases: [string, string][] = [
    ['failed to reach http://10.0.0.5:11434/api/chat', 'failed to reach [url]'],
    ['connect ECONNREFUSED 192.168.1.20:8000', 'connect ECONNREFUSED [address]'],
    ['bind [fe80::1]:8080 and 2001:db8:0:0:0:0:2:1 failed', 'bind [address] and [address] failed'],
    ['backend gpu-3.cluster.local is down', 'backend [host] is down'],
    ['vllm-a:8000 overloaded', '[address] overloaded'],
    ['cannot open /var/lib/models/llama-3-8b.gguf', 'cannot open [path]'],
    ['temperature must be between 0 and 2', 'temperature must be between 0 and 2'],
    ['model "llama3.1:8b" not found', 'model "llama3.1:8b" not found'],
  ];
  for (const [raw, want] of cases) assert.equal(safeUpstreamMessage(raw), want, raw);
});

test('safeUpstreamMessage: the configured secret and key-shaped tokens are removed; long text is capped', () => {
  assert.equal(safeUpstreamMessage('bad key s3cr3t-value', 's3cr3t-value'), 'bad key [secret]');
  assert.equal(safeUpstreamMessage('key sk-abcdefghijklmnop rejected'), 'key [secret] rejected');
  assert.ok((safeUpstreamMessage('x'.repeat(5000)) ?? '').length <= 501);
  assert.equal(safeUpstreamMessage(42), undefined);
});

test('clientErrorFromBody: OpenAI and Ollama error shapes; fallback text without a body', () => {
  assert.deepEqual(
    clientErrorFromBody(400, {
      error: { message: 'bad', type: 'invalid_request_error', param: 'n', code: 'x' },
    }),
    {
      status: 400,
      message: 'bad',
      type: 'invalid_request_error',
      param: 'n',
      code: 'x',
    },
  );
  assert.equal(clientErrorFromBody(404, { error: 'model not found' }).message, 'model not found');
  assert.equal(clientErrorFromBody(422, undefined).message, 'The upstream rejected the request (HTTP 422).');
});

test('UpstreamError: is an AirlockError with the catalogue status; helpers read its flags', () => {
  const e = new UpstreamError('upstream_error', {
    retryable: true,
    upstreamFault: true,
    upstreamStatus: 503,
  });
  assert.ok(e instanceof AirlockError);
  assert.equal(e.status, 502);
  assert.equal(isRetryable(e), true);
  assert.equal(isUpstreamFault(e), true);
  assert.equal(isRetryable(new AirlockError('upstream_error')), false);
  assert.equal(isRetryable(new Error('x')), false);
});

test('safeUpstreamMessage: times and ratios are left alone', () => {
  assert.equal(safeUpstreamMessage('retry at 12:30:45, ratio 3:2'), 'retry at 12:30:45, ratio 3:2');
});
