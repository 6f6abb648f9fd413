// One story for REST and AI (P10), through the real `airlock serve`: operations of an internal
// service chosen in apis[].expose.mcpTools appear in MCP tools/list for callers the policy allows,
// and a tools/call is decided exactly like the REST call — action api/call on
// ApiOperation::"orders__createOrder" with the same flat arguments — so a microservice calling
// POST /api/orders/orders and an agent calling orders__createOrder over /mcp meet the same
// policies (a forbid on the arguments refuses both) and leave audit entries with the same action.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, UrlElicitationRequiredError } from '@modelcontextprotocol/sdk/types.js';
import { stringify } from 'yaml';
import { FIXTURES, SERVICE_TOKEN, TEST_POLICIES } from '../fixtures/apis/harness.ts';
import { type OrdersService, startOrdersService } from '../fixtures/apis/orders-service.ts';
import { createKey, startServe, stopServe } from '../helpers/serve-harness.ts';

// Listing orders is a GET (permitted by orders-app.read) that also needs a human's approval.
const LIST_NEEDS_APPROVAL = `
@id("orders-app.list-approved")
@approval("admin")
permit (principal == Airlock::ServiceAccount::"orders-app", action == Airlock::Action::"api/call",
        resource == Airlock::ApiOperation::"orders__listOrders");
`;

interface Step {
  stage: string;
  outcome: string;
  detail?: Record<string, unknown>;
}
interface AuditEntry {
  type: string;
  outcome: string;
  code?: string;
  principal?: { id: string };
  detail: Record<string, unknown> & { trail?: Step[] };
}

describe('/api operations as MCP tools: one policy, one audit story', () => {
  let dir: string;
  let orders: OrdersService;
  let child: ChildProcess;
  let url: string;
  let adminUrl: string;
  let appKey: string;
  let intruderKey: string;
  let adminKey: string;
  const clients: Client[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-api-tools-'));
    orders = await startOrdersService();
    mkdirSync(join(dir, 'secrets'), { mode: 0o700 });
    writeFileSync(join(dir, 'secrets', 'ORDERS_TOKEN'), `${SERVICE_TOKEN}\n`, { mode: 0o600 });
    const config = join(dir, 'airlock.yaml');
    writeFileSync(
      config,
      stringify({
        version: 1,
        dataDir: '.',
        listeners: { client: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
        apis: [
          {
            name: 'orders',
            baseUrl: orders.url,
            openapi: join(FIXTURES, 'orders.openapi.yaml'),
            credential: { secret: 'secret:ORDERS_TOKEN' },
            expose: { mcpTools: ['createOrder', 'getOrder', 'listOrders'] },
          },
        ],
        policy: { policies: `${TEST_POLICIES}\n${LIST_NEEDS_APPROVAL}` },
      }),
    );
    const key = (...extra: string[]) => createKey(config, ...extra);
    appKey = await key('--owner', 'orders-app');
    intruderKey = await key('--owner', 'intruder');
    adminKey = await key('--owner', 'auditor', '--admin');
    const served = await startServe(config);
    child = served.child;
    url = served.client;
    adminUrl = served.admin;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await stopServe(child);
    await orders.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(token: string, elicitation = false): Promise<Client> {
    const client = new Client(
      { name: 'agent', version: '1.0.0' },
      { capabilities: elicitation ? { elicitation: { url: {} } } : {} },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    clients.push(client);
    return client;
  }

  const rest = (body: unknown) =>
    fetch(`${url}/api/orders/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${appKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const entries = async (type: string): Promise<AuditEntry[]> => {
    const res = await fetch(
      `${adminUrl}/admin/v1/audit/entries?limit=500&principal=orders-app&type=${type}`,
      {
        headers: { authorization: `Bearer ${adminKey}` },
      },
    );
    assert.equal(res.status, 200);
    return ((await res.json()) as { data: AuditEntry[] }).data;
  };

  /** The decision an entry records: action, resource and the policies that decided. */
  const decision = (e: AuditEntry) => {
    const steps = (e.detail.trail ?? []).filter((s) => s.stage === 'authorize');
    const named = steps.find((s) => s.detail?.action !== undefined)?.detail;
    const decided = steps.find((s) => s.detail?.policies !== undefined)?.detail;
    return { action: named?.action, resource: named?.resource, policies: decided?.policies };
  };

  test('an allowed operation: listed for the caller, and decided and recorded like the REST call', async () => {
    const agent = await connect(appKey);
    const tools = (await agent.listTools()).tools;
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['orders__createOrder', 'orders__getOrder', 'orders__listOrders']);
    const create = tools.find((t) => t.name === 'orders__createOrder')!;
    assert.deepEqual((create.inputSchema.required as string[]).sort(), ['quantity', 'sku']);

    const viaRest = await rest({ sku: 'ABC-123', quantity: 2 });
    assert.equal(viaRest.status, 201);
    const viaMcp = await agent.callTool({
      name: 'orders__createOrder',
      arguments: { sku: 'ABC-123', quantity: 2 },
    });
    assert.notEqual(viaMcp.isError, true);
    assert.equal((viaMcp.structuredContent as { sku: string }).sku, 'ABC-123');
    assert.equal(orders.seen.filter((r) => r.method === 'POST').length, 2, 'both reached the service');

    const authorized = await entries('request.authorized');
    const apiEntry = authorized.find((e) => e.detail.operation === 'api.orders.createOrder')!;
    const mcpEntry = authorized.find((e) => e.detail.tool === 'orders__createOrder')!;
    assert.ok(apiEntry && mcpEntry);
    const expected = {
      action: 'api/call',
      resource: 'ApiOperation::orders__createOrder',
      policies: ['orders-app.create'],
    };
    assert.deepEqual(decision(apiEntry), expected);
    assert.deepEqual(decision(mcpEntry), expected);
  });

  test('a forbid on the arguments refuses the REST call and the tool call alike', async () => {
    const agent = await connect(appKey);
    const refusedRest = await rest({ sku: 'ABC-123', quantity: 1000 });
    assert.equal(refusedRest.status, 403);
    const err = await agent
      .callTool({ name: 'orders__createOrder', arguments: { sku: 'ABC-123', quantity: 1000 } })
      .then(
        () => assert.fail('refused'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof McpError);
    const completed = (await entries('request.completed')).filter((e) => e.outcome === 'deny');
    const apiDeny = completed.find((e) => e.detail.operation === 'api.orders.createOrder')!;
    const mcpDeny = completed.find((e) => e.detail.tool === 'orders__createOrder')!;
    assert.ok(apiDeny && mcpDeny);
    const expected = {
      action: 'api/call',
      resource: 'ApiOperation::orders__createOrder',
      policies: ['orders.no-bulk'],
    };
    assert.deepEqual(decision(apiDeny), expected);
    assert.deepEqual(decision(mcpDeny), expected);
  });

  test('a caller no policy permits sees none of the operations and cannot call them', async () => {
    const intruder = await connect(intruderKey);
    assert.deepEqual((await intruder.listTools()).tools, []);
    const err = await intruder.callTool({ name: 'orders__getOrder', arguments: { orderId: '1' } }).then(
      () => assert.fail('refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof McpError);
    assert.equal((err.data as { code: string }).code, 'tool_not_found');
  });

  test('an operation that needs approval: URL elicitation names api/call, the approved retry runs once', async () => {
    const agent = await connect(appKey, true);
    const ask = () => agent.callTool({ name: 'orders__listOrders', arguments: { status: 'open' } });
    const first = await ask().then(
      () => assert.fail('needs approval'),
      (e: unknown) => e,
    );
    assert.ok(first instanceof UrlElicitationRequiredError, String(first));
    const { elicitationId: id, url: where } = first.elicitations[0]!;
    assert.ok(where.endsWith(`/admin/v1/approvals/${id}`));
    const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    const view = (await (await fetch(where, { headers })).json()) as { action: string; resource: string };
    assert.deepEqual([view.action, view.resource], ['api/call', 'ApiOperation::orders__listOrders']);
    assert.equal((await fetch(`${where}/approve`, { method: 'POST', headers, body: '{}' })).status, 200);
    const listed = await ask();
    assert.notEqual(listed.isError, true);
    assert.deepEqual(listed.structuredContent, { data: [{ id: '1', status: 'open' }] });
    await assert.rejects(ask(), UrlElicitationRequiredError, 'the approval was used once');
  });

  test('the same operation over REST: approval_required with the id, the approved repeat runs once', async () => {
    const list = (headers: Record<string, string> = {}) =>
      fetch(`${url}/api/orders/orders?status=shipped`, {
        headers: { authorization: `Bearer ${appKey}`, ...headers },
      });
    const first = await list();
    assert.equal(first.status, 403);
    const err = ((await first.json()) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'approval_required');
    const id = /apr_[A-Za-z0-9_-]+/.exec(err.message)?.[0];
    assert.ok(id, err.message);
    assert.match(err.message, new RegExp(`${adminUrl}/admin/v1/approvals/${id}`));
    const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    const pending = (await (await fetch(`${adminUrl}/admin/v1/approvals/${id}`, { headers })).json()) as {
      action: string;
      resource: string;
    };
    assert.deepEqual([pending.action, pending.resource], ['api/call', 'ApiOperation::orders__listOrders']);
    assert.equal(
      (await fetch(`${adminUrl}/admin/v1/approvals/${id}/approve`, { method: 'POST', headers, body: '{}' }))
        .status,
      200,
    );
    const other = await fetch(`${url}/api/orders/orders?status=open`, {
      headers: { authorization: `Bearer ${appKey}`, 'x-airlock-approval': id! },
    });
    assert.equal(other.status, 403, 'the approval covers exactly those arguments');
    const ok = await list({ 'x-airlock-approval': id! });
    assert.equal(ok.status, 200);
    assert.equal((await list({ 'x-airlock-approval': id! })).status, 403, 'single use');
  });
});
