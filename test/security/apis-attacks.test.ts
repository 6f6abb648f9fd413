// Attacks on /api: credentials smuggled in requests, credential and header passthrough, path
// traversal through parameters, parameter smuggling, oversized or uninspectable answers, a log
// that cannot be written. Every refusal is recorded; nothing refused reaches the service.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type ApiHarness, call, SERVICE_TOKEN, startApiHarness } from '../fixtures/apis/harness.ts';
import { LEAKED_SLACK } from '../fixtures/apis/orders-service.ts';

const AWS_KEY = 'AKIAZ3MHQXJ5PVWKT7NB';
const PRIVATE_KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY-----';

/** A raw request (fetch would normalise `..` and encoded dots away). */
function rawGet(base: string, path: string, key: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'GET',
        headers: { authorization: `Bearer ${key}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('api attacks', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness();
  });
  after(() => h.close());

  test('attack: a credential in the body is blocked before the service, recorded without its value', async () => {
    const before = h.orders.seen.length;
    for (const note of [`use ${AWS_KEY} please`, PRIVATE_KEY]) {
      const res = await call(`${h.url}/api/orders/orders`, 'POST', h.key, {
        sku: 'ABC-123',
        quantity: 1,
        note,
      });
      assert.equal(res.status, 400, res.text);
      const err = res.json!.error as Record<string, string>;
      assert.equal(err.code, 'dlp_blocked');
      const entries = h.audit.entries.filter((e) => e.requestId === err.requestId);
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.outcome, 'deny');
      const text = JSON.stringify(entries);
      assert.ok(!text.includes(AWS_KEY) && !text.includes('MIIEowIBAAKCAQEAx'), 'the value is never logged');
      const trail = (entries[0]!.detail as { trail: { stage: string; code?: string; detail?: unknown }[] })
        .trail;
      const inspect = trail.find((t) => t.stage === 'inspect-in')!;
      assert.equal(inspect.code, 'dlp_blocked');
      assert.equal((inspect.detail as { findings: number }).findings, 1);
    }
    assert.equal(h.orders.seen.length, before, 'nothing blocked reached the service');
  });

  test('attack: a credential in a query value or a nested array is blocked', async () => {
    const q = await call(
      `${h.url}/api/orders/orders?q=${encodeURIComponent(`token ${AWS_KEY}`)}`,
      'GET',
      h.key,
    );
    assert.equal(q.status, 400);
    assert.equal((q.json!.error as Record<string, string>).code, 'dlp_blocked');
    const nested = await call(`${h.url}/api/orders/orders`, 'POST', h.key, {
      sku: 'ABC-123',
      quantity: 1,
      lines: [{ text: 'ok' }, { text: `key=${AWS_KEY}` }],
    });
    assert.equal(nested.status, 400);
    assert.equal((nested.json!.error as Record<string, string>).code, 'dlp_blocked');
  });

  test('attack: the client cannot choose the service credential or pass its own', async () => {
    const res = await call(`${h.url}/api/orders/orders/5`, 'GET', h.key, undefined, {
      'x-api-key': 'client-chosen',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      connection: 'keep-alive, x-secret',
      'x-secret': 'hop',
    });
    assert.equal(res.status, 200);
    const seen = h.orders.seen.at(-1)!;
    assert.equal(seen.headers.authorization, `Bearer ${SERVICE_TOKEN}`);
    for (const h2 of ['x-api-key', 'proxy-authorization', 'x-secret'])
      assert.equal(seen.headers[h2], undefined, h2);
    assert.ok(!JSON.stringify(seen.headers).includes(h.key));
  });

  test('attack: path traversal through a parameter stays one encoded segment', async () => {
    for (const path of ['/api/orders/orders/%2E%2E/debug', '/api/orders/orders/%2e/debug']) {
      const res = await rawGet(h.url, path, h.key);
      assert.equal(res.status, 400, `${path}: ${res.body}`);
      assert.match(res.body, /path\.orderId must not be/);
    }
    for (const path of [
      '/api/orders/orders/..%2F..%2Fhealth/debug',
      '/api/orders/orders/a%2F..%2F..%2Fx/debug',
    ]) {
      const res = await rawGet(h.url, path, h.key);
      assert.equal(res.status, 200, `${path}: ${res.body}`);
      const seen = h.orders.seen.at(-1)!;
      assert.match(seen.url, /^\/orders\/[^/]+\/debug$/, `${path} → ${seen.url}`);
      assert.ok(!seen.url.includes('/../') && !seen.url.endsWith('/..'));
    }
    const dotdot = await rawGet(h.url, '/api/orders/../../admin', h.key);
    assert.ok(dotdot.status === 404 || dotdot.status === 400, String(dotdot.status));
  });

  test('attack: repeated, undeclared and oversized parameters are refused', async () => {
    const before = h.orders.seen.length;
    for (const path of ['/orders?limit=5&limit=6', '/orders?admin=true', `/orders?q=${'a'.repeat(201)}`]) {
      const res = await call(`${h.url}/api/orders${path}`, 'GET', h.key);
      assert.equal(res.status, 400, path);
    }
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = [deep];
    const res = await call(`${h.url}/api/orders/orders`, 'POST', h.key, {
      sku: 'ABC-123',
      quantity: 1,
      lines: deep,
    });
    assert.equal(res.status, 400);
    assert.equal(h.orders.seen.length, before);
  });

  test('attack: a credential in a response header is redacted; service cookies never pass', async () => {
    const res = await call(`${h.url}/api/orders/orders/9`, 'GET', h.key);
    assert.equal(res.status, 200);
    const location = res.headers.get('location')!;
    assert.ok(!location.includes(LEAKED_SLACK), location);
    assert.match(location, /SLACK/);
  });

  test('attack: an answer larger than maxResponseBytes is refused (502), not truncated', async () => {
    const small = await startApiHarness({ maxResponseBytes: 1024 });
    try {
      const res = await call(`${small.url}/api/orders/orders/big/debug`, 'GET', small.key);
      assert.equal(res.status, 502);
      assert.equal((res.json!.error as Record<string, string>).code, 'upstream_error');
    } finally {
      await small.close();
    }
  });

  test('attack: with the audit log down nothing is forwarded (fail closed)', async () => {
    const before = h.orders.seen.length;
    h.audit.setBroken('disk full');
    try {
      const res = await call(`${h.url}/api/orders/orders/1`, 'GET', h.key);
      assert.equal(res.status, 503);
      assert.equal((res.json!.error as Record<string, string>).code, 'audit_unavailable');
    } finally {
      h.audit.setBroken(undefined);
    }
    assert.equal(h.orders.seen.length, before);
  });
});
