import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { apisConfigSchema } from './config.ts';
import { createApiServices } from './service.ts';
import { createApiToolUpstream, openApiOperationsAsTools } from './tools.ts';

const services = createApiServices(
  apisConfigSchema.parse([
    {
      name: 'orders',
      baseUrl: 'http://127.0.0.1:9',
      openapi: 'orders.openapi.yaml',
      expose: { mcpTools: ['createOrder', 'getOrder', 'listOrders'] },
    },
  ]),
  { baseDir: join(import.meta.dirname, '../../test/fixtures/apis'), resolveSecret: () => 'unused' },
);
const tools = openApiOperationsAsTools(services.get('orders')!);

test('tools: exposed operations become service__operationId with description and input schema', () => {
  assert.deepEqual(
    tools.map((t) => t.name),
    ['orders__createOrder', 'orders__getOrder', 'orders__listOrders'],
  );
  assert.equal(tools[0]!.description, 'Create an order\n\nPlaces an order for one SKU.');
  assert.deepEqual(tools[1]!.inputSchema, {
    type: 'object',
    properties: { orderId: { type: 'string', pattern: '^[0-9]+$' } },
    required: ['orderId'],
    additionalProperties: false,
  });
});

test('tools: every input schema is valid JSON Schema 2020-12 and accepts exactly what the API accepts', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  for (const t of tools) assert.ok(ajv.validateSchema(t.inputSchema), `${t.name}: ${ajv.errorsText()}`);
  const create = ajv.compile(tools[0]!.inputSchema);
  assert.ok(
    create({ sku: 'ABC-123', quantity: 2, note: null, lines: [{ text: 'gift wrap' }] }),
    ajv.errorsText(create.errors),
  );
  assert.ok(!create({ sku: 'ABC-123' }), 'quantity is required');
  assert.ok(!create({ sku: 'ABC-123', quantity: 2, extra: 1 }), 'closed like the body schema');
  assert.ok(!create({ sku: 'abc', quantity: 2 }), 'pattern kept');
  const list = ajv.compile(tools[2]!.inputSchema);
  assert.ok(list({ limit: 10, status: 'open', q: 'lamp', 'x-tenant': 'acme' }));
  assert.ok(!list({ limit: 0 }));
  assert.equal(JSON.stringify(tools).includes('$ref'), false, 'standalone: no references left');
  assert.equal(JSON.stringify(tools).includes('nullable'), false, 'OpenAPI 3.0 dialect converted');
});

test('tools: as an MCP upstream, names are the operationIds under the service namespace', async () => {
  const upstream = createApiToolUpstream(services, 'orders');
  await upstream.start();
  assert.equal(upstream.state(), 'ready');
  assert.deepEqual(
    (await upstream.listTools()).map((t) => t.name),
    ['createOrder', 'getOrder', 'listOrders'],
  );
  const invalid = await upstream.callTool('getOrder', { orderId: 'abc' }, new AbortController().signal);
  assert.equal(invalid.isError, true);
  assert.match(JSON.stringify(invalid.content), /orderId does not match/);
  await upstream.close();
  await services.close();
});
