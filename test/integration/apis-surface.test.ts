// /api/<service>/… end to end: a real listener, the API-key authenticator, Cedar, DLP and the
// record stage in front of a real orders service on loopback.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callOperation } from '../../src/apis/tools.ts';
import { type ApiHarness, call, SERVICE_TOKEN, startApiHarness } from '../fixtures/apis/harness.ts';
import { LEAKED_KEY } from '../fixtures/apis/orders-service.ts';

describe('api surface', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness();
  });
  after(() => h.close());

  const lastSeen = () => h.orders.seen.at(-1)!;
  const entriesFor = (requestId: string) => h.audit.entries.filter((e) => e.requestId === requestId);

  test('api: allowed call is proxied with the service credential, never the client key', async () => {
    const before = h.orders.seen.length;
    const res = await call(
      `${h.url}/api/orders/orders`,
      'POST',
      h.key,
      { sku: 'ABC-123', quantity: 2, note: 'x' },
      {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        cookie: 'session=client-cookie',
      },
    );
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json, { id: '42', sku: 'ABC-123', quantity: 2, note: 'x' });
    assert.equal(res.headers.get('location'), '/orders/42');
    assert.equal(res.headers.get('set-cookie'), null, 'service cookies stay inside');
    const requestId = res.headers.get('x-request-id')!;
    assert.equal(h.orders.seen.length, before + 1);
    const seen = lastSeen();
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/orders');
    assert.equal(seen.headers.authorization, `Bearer ${SERVICE_TOKEN}`);
    assert.ok(!JSON.stringify(seen.headers).includes(h.key), 'the client key never reaches the service');
    assert.equal(seen.headers.cookie, undefined);
    assert.equal(seen.headers['x-request-id'], requestId);
    assert.match(String(seen.headers.traceparent), /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    assert.deepEqual(JSON.parse(seen.body), { sku: 'ABC-123', quantity: 2, note: 'x' });
  });

  test('api: path, query and declared header parameters are validated and rebuilt', async () => {
    const res = await call(`${h.url}/api/orders/orders?limit=5&status=shipped`, 'GET', h.key, undefined, {
      'x-tenant': 'acme',
      'x-internal-admin': 'true',
    });
    assert.equal(res.status, 200, res.text);
    const seen = lastSeen();
    assert.equal(seen.url, '/orders?limit=5&status=shipped');
    assert.equal(seen.headers['x-tenant'], 'acme');
    assert.equal(seen.headers['x-internal-admin'], undefined, 'undeclared headers are not forwarded');
    const one = await call(`${h.url}/api/orders/orders/17`, 'GET', h.key);
    assert.equal(one.status, 200);
    assert.equal(lastSeen().url, '/orders/17');
  });

  test('api: operation not in the document → 404 api_operation_not_found (path, method, service)', async () => {
    for (const [method, path] of [
      ['GET', '/api/orders/invoices'],
      ['PATCH', '/api/orders/orders/1'],
      ['GET', '/api/billing/orders'],
      ['GET', '/api/orders'],
    ] as const) {
      const res = await call(`${h.url}${path}`, method, h.key);
      assert.equal(res.status, 404, `${method} ${path}`);
      const err = res.json!.error as Record<string, unknown>;
      assert.equal(err.code, 'api_operation_not_found');
      assert.equal(err.requestId, res.headers.get('x-request-id'));
      assert.equal(typeof err.message, 'string');
    }
  });

  test('api: invalid input → 400 invalid_request naming the parameter', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/orders', { sku: 'abc', quantity: 2 }, 'body.sku'],
      ['POST', '/orders', { sku: 'ABC-123', quantity: 0 }, 'body.quantity'],
      ['POST', '/orders', { sku: 'ABC-123' }, 'body.quantity'],
      ['POST', '/orders', { sku: 'ABC-123', quantity: 1, extra: true }, 'body.extra'],
      ['POST', '/orders', { sku: 'ABC-123', quantity: 1, lines: [{ text: 'a' }, {}] }, 'body.lines[1].text'],
      ['GET', '/orders?limit=500', undefined, 'query.limit'],
      ['GET', '/orders?limit=ten', undefined, 'query.limit'],
      ['GET', '/orders?status=lost', undefined, 'query.status'],
      ['GET', '/orders?debug=1', undefined, 'query.debug'],
      ['GET', '/orders/abc', undefined, 'path.orderId'],
    ];
    const before = h.orders.seen.length;
    for (const [method, path, body, parameter] of cases) {
      const res = await call(`${h.url}/api/orders${path}`, method, h.key, body);
      assert.equal(res.status, 400, `${method} ${path}: ${res.text}`);
      const err = res.json!.error as Record<string, string>;
      assert.equal(err.code, 'invalid_request');
      assert.ok(err.message?.includes(parameter), `${err.message} names ${parameter}`);
    }
    assert.equal(h.orders.seen.length, before, 'nothing invalid reached the service');
  });

  test('api: missing body where required → 400 body', async () => {
    const res = await call(`${h.url}/api/orders/orders`, 'POST', h.key);
    assert.equal(res.status, 400);
    assert.match(String((res.json!.error as Record<string, string>).message), /body is required/);
  });

  test('api: the policy decides per operation and per argument (api/call, ApiOperation)', async () => {
    const cancel = await call(`${h.url}/api/orders/orders/1`, 'DELETE', h.key);
    assert.equal(cancel.status, 403);
    assert.equal((cancel.json!.error as Record<string, string>).code, 'forbidden');
    const bulk = await call(`${h.url}/api/orders/orders`, 'POST', h.key, { sku: 'ABC-123', quantity: 1000 });
    assert.equal(bulk.status, 403);
    const stranger = await call(`${h.url}/api/orders/orders/1`, 'GET', h.intruderKey);
    assert.equal(stranger.status, 403);
    const anonymous = await call(`${h.url}/api/orders/orders/1`, 'GET', undefined);
    assert.equal(anonymous.status, 401);
    const anonymousUnknown = await call(`${h.url}/api/orders/nothing`, 'GET', undefined);
    assert.equal(anonymousUnknown.status, 401, 'strangers learn nothing about operations');
  });

  test('api: a secret in the response is redacted', async () => {
    const res = await call(`${h.url}/api/orders/orders/7/debug`, 'GET', h.key);
    assert.equal(res.status, 200, res.text);
    assert.ok(!res.text.includes(LEAKED_KEY), 'the credential does not reach the client');
    assert.equal((res.json as Record<string, unknown>).id, '7');
    assert.match(
      String((res.json as Record<string, unknown>).debug),
      /^cache key .*AWS_ACCESS_KEY.* in use$/,
    );
    const entries = entriesFor(res.headers.get('x-request-id')!);
    const completed = entries.find((e) => e.type === 'request.completed')!;
    const findings = (completed.detail as { findings: { type: string; field: string; action: string }[] })
      .findings;
    assert.deepEqual(
      findings.map((f) => [f.type, f.field, f.action]),
      [['AWS_ACCESS_KEY', 'response.body.debug', 'redact']],
    );
    assert.ok(!JSON.stringify(entries).includes(LEAKED_KEY));
  });

  test('api: service 4xx passes through inspected; 5xx stays inside as 502', async () => {
    const missing = await call(`${h.url}/api/orders/orders/404`, 'GET', h.key);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { message: 'no such order' });
    const broken = await call(`${h.url}/api/orders/orders/500`, 'GET', h.key);
    assert.equal(broken.status, 502);
    assert.ok(!broken.text.includes('/srv/orders'));
    assert.equal((broken.json!.error as Record<string, string>).code, 'upstream_error');
  });

  test('api: an operation without operationId is addressed by method and path; text responses pass', async () => {
    const res = await call(`${h.url}/api/orders/health`, 'GET', h.key);
    assert.equal(res.status, 200);
    assert.equal(res.text, 'ok');
    const authorized = entriesFor(res.headers.get('x-request-id')!).find(
      (e) => e.type === 'request.authorized',
    )!;
    assert.equal((authorized.detail as Record<string, unknown>).operation, 'api.orders.GET /health');
  });

  test('api: every call is recorded — allowed, denied and invalid — with operation and decisions', async () => {
    const ok = await call(`${h.url}/api/orders/orders/3`, 'GET', h.key);
    const denied = await call(`${h.url}/api/orders/orders/3`, 'DELETE', h.key);
    const invalid = await call(`${h.url}/api/orders/orders?limit=0`, 'GET', h.key);
    const okEntries = entriesFor(ok.headers.get('x-request-id')!);
    assert.deepEqual(
      okEntries.map((e) => e.type),
      ['request.authorized', 'request.completed'],
    );
    const authorized = okEntries[0]!;
    assert.equal(authorized.principal?.id, 'orders-app');
    const detail = authorized.detail as {
      surface: string;
      operation: string;
      trail: { stage: string; outcome: string; detail?: Record<string, unknown> }[];
    };
    assert.equal(detail.surface, 'api');
    assert.equal(detail.operation, 'api.orders.getOrder');
    assert.deepEqual(
      detail.trail.map((t) => `${t.stage}:${t.outcome}`),
      ['authenticate:allow', 'resolve:allow', 'authorize:allow', 'inspect-in:allow'],
    );
    assert.deepEqual(detail.trail[2]!.detail!.policies, ['orders-app.read']);
    const completed = okEntries[1]!.detail as { upstreamStatus: number; trail: { stage: string }[] };
    assert.equal(completed.upstreamStatus, 200);
    assert.deepEqual(
      completed.trail.map((t) => t.stage),
      ['forward', 'inspect-out'],
    );

    const deniedEntries = entriesFor(denied.headers.get('x-request-id')!);
    assert.deepEqual(
      deniedEntries.map((e) => [e.type, e.outcome]),
      [['request.completed', 'deny']],
    );
    assert.equal((deniedEntries[0]!.detail as Record<string, unknown>).operation, 'api.orders.cancelOrder');
    const invalidEntries = entriesFor(invalid.headers.get('x-request-id')!);
    const trail = (
      invalidEntries[0]!.detail as {
        trail: { stage: string; code?: string; detail?: Record<string, unknown> }[];
      }
    ).trail;
    assert.deepEqual(trail.at(-1), {
      stage: 'resolve',
      outcome: 'deny',
      code: 'invalid_request',
      detail: {
        service: 'orders',
        operationId: 'listOrders',
        method: 'GET',
        path: '/orders',
        parameter: 'query.limit',
      },
    });
  });

  test('api: an exposed operation called as an MCP tool reaches the service the same way', async () => {
    const result = await callOperation(
      h.services,
      'orders__createOrder',
      { sku: 'XYZ-001', quantity: 4 },
      {
        signal: new AbortController().signal,
        requestId: 'req_tool_1',
      },
    );
    assert.equal(result.isError, false);
    assert.deepEqual(result.structuredContent, { id: '42', sku: 'XYZ-001', quantity: 4 });
    const seen = lastSeen();
    assert.equal(seen.url, '/orders');
    assert.equal(seen.headers.authorization, `Bearer ${SERVICE_TOKEN}`);
    assert.equal(seen.headers['x-request-id'], 'req_tool_1');
    const notFound = await callOperation(
      h.services,
      'orders__getOrder',
      { orderId: '404' },
      {
        signal: new AbortController().signal,
      },
    );
    assert.equal(notFound.isError, true);
    await assert.rejects(
      callOperation(
        h.services,
        'orders__cancelOrder',
        { orderId: '1' },
        { signal: new AbortController().signal },
      ),
      /Unknown tool/,
    );
  });

  test('api: GET /api lists only the operations the caller may call (P4)', async () => {
    const mine = await call(`${h.url}/api`, 'GET', h.key);
    assert.equal(mine.status, 200, mine.text);
    const ids = (mine.json!.data as { operationId: string }[]).map((o) => o.operationId).sort();
    assert.deepEqual(ids, ['GET /health', 'createOrder', 'getOrder', 'getOrderDebug', 'listOrders']);
    const first = (mine.json!.data as Record<string, unknown>[]).find((o) => o.operationId === 'getOrder');
    assert.deepEqual(first, {
      service: 'orders',
      operationId: 'getOrder',
      method: 'GET',
      path: '/api/orders/orders/{orderId}',
      summary: 'One order',
    });
    const stranger = await call(`${h.url}/api`, 'GET', h.intruderKey);
    assert.deepEqual(stranger.json!.data, []);
    assert.equal((await call(`${h.url}/api`, 'GET', undefined)).status, 401);
  });
});
