// The official MCP SDK client against the gateway's /mcp, with three stdio servers behind it:
// the project's fixture, @modelcontextprotocol/server-memory and server-filesystem (scoped to a
// temp folder). Each runs as a supervised child under the egress guard with a scrubbed environment.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { checksummed } from '../../src/dlp/rules/synth.ts';
import { approveServer } from '../../src/mcp/approve.ts';
import {
  FIXTURE_SERVER,
  type McpHarness,
  NODE_MODULES,
  principal,
  startMcpHarness,
} from '../fixtures/mcp/harness.ts';

const SECRET = checksummed('ghp_', 'fixture-secret');
let h: McpHarness;
const clients: Client[] = [];

async function connect(token: string, protocolVersion?: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(h.url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  if (protocolVersion) transport.setProtocolVersion(protocolVersion);
  await client.connect(transport);
  clients.push(client);
  return client;
}

const textOf = (r: unknown): string =>
  (((r as { content?: { text?: string }[] }).content ?? []) as { text?: string }[])
    .map((c) => c.text ?? '')
    .join('');

before(async () => {
  h = await startMcpHarness({
    tokens: { 'alice-token': principal('alice'), 'bob-token': principal('bob') },
    allowed: {
      alice: [
        'fixture__echo',
        'fixture__add',
        'fixture__reveal_secret',
        'fixture__connect_out',
        'fixture__whoami',
        'fixture__mutable',
        'fixture__fail',
        'fixture__crash',
        'memory__create_entities',
        'memory__read_graph',
        'fs__write_file',
        'fs__read_text_file',
        'fs__list_directory',
      ],
      bob: ['fixture__echo'],
    },
    secrets: { FIXTURE_SECRET: SECRET },
    mcp: {
      surface: { allowedHosts: ['127.0.0.1'], listRefresh: '0s' },
      servers: [
        {
          name: 'fixture',
          transport: 'stdio',
          command: 'node',
          args: [FIXTURE_SERVER, '--state-dir', '$STATE'],
          env: { FIXTURE_SECRET: 'secret:FIXTURE_SECRET' },
        },
        {
          name: 'memory',
          transport: 'stdio',
          command: 'node',
          args: [join(NODE_MODULES, '@modelcontextprotocol/server-memory/dist/index.js')],
          vars: { MEMORY_FILE_PATH: '$DATA/memory.jsonl' },
        },
        {
          name: 'fs',
          transport: 'stdio',
          command: 'node',
          args: [join(NODE_MODULES, '@modelcontextprotocol/server-filesystem/dist/index.js'), '$DATA/files'],
          tools: ['write_file', 'read_text_file', 'list_directory'],
        },
      ],
    },
  });
  for (const u of h.plane.upstreams.values()) await approveServer(u, h.plane.pins, { actor: 'test' });
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await h?.close();
});

test('tools/list: namespaced tools the caller may call, nothing else (P4)', async () => {
  const alice = await connect('alice-token');
  const names = (await alice.listTools()).tools.map((t) => t.name).sort();
  assert.ok(
    names.includes('fixture__echo') &&
      names.includes('memory__read_graph') &&
      names.includes('fs__write_file'),
  );
  assert.ok(!names.includes('memory__delete_entities'), 'not in alice policy');
  assert.ok(!names.includes('fs__move_file'), 'outside the fs allowlist');
  const bob = await connect('bob-token');
  assert.deepEqual(
    (await bob.listTools()).tools.map((t) => t.name),
    ['fixture__echo'],
  );
});

test('tools/call through the pipeline: fixture, memory and filesystem servers', async () => {
  const alice = await connect('alice-token');
  const sum = await alice.callTool({ name: 'fixture__add', arguments: { a: 2, b: 3 } });
  assert.equal(textOf(sum), '5');
  assert.deepEqual(sum.structuredContent, { sum: 5 });
  await alice.callTool({
    name: 'memory__create_entities',
    arguments: { entities: [{ name: 'airlock', entityType: 'project', observations: ['gateway'] }] },
  });
  const graph = textOf(await alice.callTool({ name: 'memory__read_graph', arguments: {} }));
  assert.match(graph, /airlock/);
  const path = join(h.dataDir, 'files', 'note.txt');
  await alice.callTool({ name: 'fs__write_file', arguments: { path, content: 'hello from airlock' } });
  assert.equal(
    textOf(await alice.callTool({ name: 'fs__read_text_file', arguments: { path } })),
    'hello from airlock',
  );
  const fail = await alice.callTool({ name: 'fixture__fail', arguments: {} });
  assert.equal(fail.isError, true, 'a tool-level error passes through as a result');
});

test('protocol revisions 2025-06-18 and 2025-11-25 both negotiate', async () => {
  for (const v of ['2025-06-18', '2025-11-25']) {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: {
        authorization: 'Bearer alice-token',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: v, capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { result: { protocolVersion: string } };
    assert.equal(body.result.protocolVersion, v);
    assert.ok(res.headers.get('mcp-session-id'));
  }
});

test('every call is recorded with tool name and keyed hashes, never the values', async () => {
  const alice = await connect('alice-token');
  await alice.callTool({ name: 'fixture__echo', arguments: { text: 'audit-me-plaintext' } });
  const done = h.audit.entries.filter(
    (e) => e.type === 'request.completed' && (e.detail as { tool?: string }).tool === 'fixture__echo',
  );
  assert.ok(done.length >= 1);
  const d = done.at(-1)!.detail as Record<string, unknown>;
  assert.match(String(d.argumentsHash), /^[0-9a-f]{64}$/);
  assert.match(String(d.resultHash), /^[0-9a-f]{64}$/);
  assert.ok(
    h.audit.entries.some(
      (e) => e.type === 'request.authorized' && (e.detail as { tool?: string }).tool === 'fixture__echo',
    ),
  );
  assert.ok(!JSON.stringify(h.audit.entries).includes('audit-me-plaintext'));
});

test('the stdio child starts with a scrubbed environment and a private HOME', async () => {
  const alice = await connect('alice-token');
  const who = JSON.parse(textOf(await alice.callTool({ name: 'fixture__whoami', arguments: {} }))) as {
    env: string[];
    home: string;
  };
  for (const name of ['USER', 'LOGNAME', 'SHELL']) assert.ok(!who.env.includes(name), `${name} leaked`);
  assert.ok(who.env.includes('FIXTURE_SECRET') && who.env.includes('AIRLOCK_EGRESS_POLICY'));
  assert.match(who.home, /airlock-mcp-fixture-/);
  assert.ok(!JSON.stringify(who).includes('alice-token'));
});

test('an unsupported Mcp-Protocol-Version is refused; DELETE ends the session', async () => {
  const init = await fetch(h.url, {
    method: 'POST',
    headers: { authorization: 'Bearer alice-token', 'content-type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  const sid = init.headers.get('mcp-session-id')!;
  const call = (headers: Record<string, string>) =>
    fetch(h.url, {
      method: 'POST',
      headers: {
        authorization: 'Bearer alice-token',
        'content-type': 'application/json',
        'mcp-session-id': sid,
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    });
  assert.equal((await call({ 'mcp-protocol-version': '2025-06-18' })).status, 200);
  assert.equal((await call({ 'mcp-protocol-version': '1999-01-01' })).status, 400);
  const del = await fetch(h.url, {
    method: 'DELETE',
    headers: { authorization: 'Bearer alice-token', 'mcp-session-id': sid },
  });
  assert.equal(del.status, 204);
  assert.equal((await call({})).status, 404);
});

test('an McpError surfaces with stable codes for unknown tools', async () => {
  const alice = await connect('alice-token');
  await assert.rejects(alice.callTool({ name: 'fixture__nope', arguments: {} }), (err: unknown) => {
    assert.ok(err instanceof McpError);
    assert.equal(err.code, -32602);
    assert.equal((err.data as { code: string }).code, 'tool_not_found');
    return true;
  });
});

test('a crashed stdio server is restarted with backoff and serves again', async () => {
  const alice = await connect('alice-token');
  const upstream = h.plane.upstreams.get('fixture')!;
  await alice.callTool({ name: 'fixture__crash', arguments: {} }).catch(() => {});
  for (let i = 0; i < 1000 && upstream.state() === 'ready'; i++) await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 1000 && upstream.state() !== 'ready'; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(upstream.state(), 'ready');
  assert.ok(
    h.audit.entries.some(
      (e) => e.type === 'worker.lifecycle' && (e.detail as { type?: string }).type === 'restarting',
    ),
  );
  assert.equal(textOf(await alice.callTool({ name: 'fixture__echo', arguments: { text: 'back' } })), 'back');
});
