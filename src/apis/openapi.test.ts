import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileOpenApi, OpenApiError, readOpenApiFile } from './openapi.ts';
import { argumentsOf, parseHttpRequest, parseToolArguments, upstreamPath } from './request.ts';

const fixture = readOpenApiFile(join(import.meta.dirname, '../../test/fixtures/apis/orders.openapi.yaml'));
const api = compileOpenApi(fixture, 'orders', { expose: ['createOrder', 'getOrder'] });

const doc = (paths: unknown, extra: Record<string, unknown> = {}) => ({
  openapi: '3.1.0',
  info: {},
  paths,
  ...extra,
});

test('openapi: operations by method and template; concrete paths win over templated ones', () => {
  const ids = api.operations.map((o) => o.operationId).sort();
  assert.deepEqual(ids, [
    'GET /health',
    'cancelOrder',
    'createOrder',
    'getOrder',
    'getOrderDebug',
    'listOrders',
  ]);
  assert.equal(api.match('GET', '/orders/12')?.operation.operationId, 'getOrder');
  assert.deepEqual(api.match('GET', '/orders/12')?.rawPath, { orderId: '12' });
  assert.equal(api.match('PUT', '/orders/12'), undefined);
  assert.equal(api.match('GET', '/orders/12/x'), undefined);
  const a = compileOpenApi(
    doc({
      '/files/{name}': {
        get: { operationId: 'byName', parameters: [{ name: 'name', in: 'path', required: true }] },
      },
      '/files/latest': { get: { operationId: 'latest' } },
      '/files/{id}.json': {
        get: { operationId: 'json', parameters: [{ name: 'id', in: 'path', required: true }] },
      },
    }),
    's',
  );
  assert.equal(a.match('GET', '/files/latest')?.operation.operationId, 'latest');
  assert.equal(a.match('GET', '/files/x')?.operation.operationId, 'byName');
});

test('openapi: an exposed operation without an operationId stops start-up with a clear error', () => {
  assert.throws(
    () => compileOpenApi(fixture, 'orders', { expose: ['GET /health'] }),
    (err: Error) => err instanceof OpenApiError && /every exposed operation needs one/.test(err.message),
  );
  assert.throws(
    () => compileOpenApi(fixture, 'orders', { expose: ['nope'] }),
    /no operation has that operationId/,
  );
});

test('openapi: broken documents stop start-up with one line', () => {
  const cases: [unknown, RegExp][] = [
    [{ openapi: '2.0', paths: {} }, /not supported/],
    [doc(undefined), /has no paths/],
    [doc({ '/a': { get: { operationId: 'x' } }, '/b': { get: { operationId: 'x' } } }), /used by both/],
    [doc({ '/a/{id}': { get: { operationId: 'x' } } }), /no path parameter declares it/],
    [
      doc({ '/a': { post: { operationId: 'x', requestBody: { content: { 'text/csv': {} } } } } }),
      /no application\/json/,
    ],
    [
      doc({
        '/a': {
          get: {
            operationId: 'x',
            parameters: [{ name: 'q', in: 'query', schema: { $ref: 'other.yaml#/Q' } }],
          },
        },
      }),
      /not local/,
    ],
    [
      doc({
        '/a': {
          get: { operationId: 'x', parameters: [{ name: 'q', in: 'query', schema: { pattern: '(?=x)' } }] },
        },
      }),
      /RE2/,
    ],
  ];
  for (const [d, message] of cases) assert.throws(() => compileOpenApi(d, 's'), message);
});

test('openapi: reserved headers are never parameters (the client cannot choose credentials)', () => {
  const a = compileOpenApi(
    doc({
      '/a': {
        get: {
          operationId: 'x',
          parameters: [
            { name: 'Authorization', in: 'header' },
            { name: 'X-Tenant', in: 'header' },
          ],
        },
      },
    }),
    's',
  );
  assert.deepEqual(
    a.byId('x')!.parameters.map((p) => p.name),
    ['x-tenant'],
  );
});

test('request: query values are coerced by schema type, then validated', () => {
  const list = api.byId('listOrders')!;
  const ok = parseHttpRequest(list, {
    rawPath: {},
    query: 'limit=5&status=open',
    headers: {},
    body: undefined,
    hasBody: false,
  });
  assert.ok(ok.ok);
  assert.deepEqual(ok.parts.query, { limit: 5, status: 'open' });
  const bad = parseHttpRequest(list, {
    rawPath: {},
    query: 'limit=5.5',
    headers: {},
    body: undefined,
    hasBody: false,
  });
  assert.ok(!bad.ok);
  assert.equal(bad.problem.parameter, 'query.limit');
});

test('request: tool arguments and HTTP parts are one flat shape, both ways', () => {
  const create = api.byId('createOrder')!;
  const parsed = parseToolArguments(create, { sku: 'ABC-123', quantity: 3 });
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.parts.body, { sku: 'ABC-123', quantity: 3 });
  assert.deepEqual(argumentsOf(create, parsed.parts), { sku: 'ABC-123', quantity: 3 });
  const get = api.byId('getOrder')!;
  const g = parseToolArguments(get, { orderId: '77' });
  assert.ok(g.ok);
  assert.equal(upstreamPath(get, g.parts), '/orders/77');
  const missing = parseToolArguments(get, {});
  assert.ok(!missing.ok && missing.problem.parameter === 'orderId');
  const dots = parseToolArguments(api.byId('getOrderDebug')!, { orderId: '..' });
  assert.ok(!dots.ok);
});

test('request: the upstream path encodes every value as one segment', () => {
  const debug = api.byId('getOrderDebug')!;
  assert.equal(
    upstreamPath(debug, { path: { orderId: 'a/../b?x=1#f' }, query: {}, headers: {} }),
    '/orders/a%2F..%2Fb%3Fx%3D1%23f/debug',
  );
});
