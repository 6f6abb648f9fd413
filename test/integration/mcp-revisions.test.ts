// Protocol revisions through the gateway: the v2 SDK client speaking 2026-07-28 (no handshake, no
// session, per-request _meta, Mcp-Method/Mcp-Name headers) and the v1 SDK client speaking
// 2025-06-18 list and call the same stdio fixture server; routing headers that disagree with the
// body are refused with a stable code and recorded.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { approveServer } from '../../src/mcp/approve.ts';
import { META_KEYS } from '../../src/mcp/revisions.ts';
import { FIXTURE_SERVER, type McpHarness, principal, startMcpHarness } from '../fixtures/mcp/harness.ts';

const MODERN_SERVER = join(import.meta.dirname, '../fixtures/mcp/modern-server.ts');
let h: McpHarness;
const AUTH = { authorization: 'Bearer alice-token' };
const children: ChildProcess[] = [];

/** An HTTP fixture in its own process; resolves with its /mcp URL. */
async function httpFixture(script: string, args: string[] = []): Promise<string> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const port = await new Promise<number>((resolve) => {
    createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l).port));
  });
  return `http://127.0.0.1:${port}/mcp`;
}

before(async () => {
  const modernUrl = await httpFixture(MODERN_SERVER);
  const legacyUrl = await httpFixture(FIXTURE_SERVER, ['--http', '0']);
  h = await startMcpHarness({
    tokens: { 'alice-token': principal('alice') },
    allowed: {
      alice: [
        'fixture__echo',
        'fixture__add',
        'modern__echo',
        'modern__revision',
        'legacyhttp__echo',
        'legacyhttp__whoami',
      ],
    },
    mcp: {
      surface: { allowedHosts: ['127.0.0.1'] },
      servers: [
        { name: 'fixture', transport: 'stdio', command: 'node', args: [FIXTURE_SERVER] },
        { name: 'modern', transport: 'http', url: modernUrl },
        { name: 'legacyhttp', transport: 'http', url: legacyUrl },
      ],
    },
  });
  for (const u of h.plane.upstreams.values()) await approveServer(u, h.plane.pins, { actor: 'test' });
});
after(async () => {
  await h.close();
  for (const c of children) c.kill();
});

/** The v1 SDK client always offers its newest revision; this transport makes it offer 2025-06-18
 *  in initialize (everything after that is the SDK's own negotiated behaviour). */
class Offer20250618 extends StreamableHTTPClientTransport {
  override send(
    message: Parameters<StreamableHTTPClientTransport['send']>[0],
    options?: Parameters<StreamableHTTPClientTransport['send']>[1],
  ) {
    const m = message as { method?: string; params?: Record<string, unknown> };
    if (m.method === 'initialize') m.params = { ...m.params, protocolVersion: '2025-06-18' };
    return super.send(message, options);
  }
}

const names = (tools: { name: string }[]) => tools.map((t) => t.name).sort();

test('the v2 SDK client at 2026-07-28 and the v1 client at 2025-06-18 list and call the same tools', async () => {
  const modern = new V2Client(
    { name: 'v2', version: '1' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await modern.connect(new V2Transport(new URL(h.url), { requestInit: { headers: AUTH } }));
  const legacy = new Client({ name: 'v1', version: '1' });
  const transport = new Offer20250618(new URL(h.url), { requestInit: { headers: AUTH } });
  await legacy.connect(transport);
  try {
    assert.equal(transport.protocolVersion, '2025-06-18');
    const m = await modern.listTools();
    const l = await legacy.listTools();
    assert.deepEqual(names(m.tools), [
      'fixture__add',
      'fixture__echo',
      'legacyhttp__echo',
      'legacyhttp__whoami',
      'modern__echo',
      'modern__revision',
    ]);
    assert.deepEqual(names(l.tools), names(m.tools));
    // 2026: the gateway is the server the client sees; 2025: no 2026 fields.
    assert.equal((m._meta?.[META_KEYS.serverInfo] as { name?: string } | undefined)?.name, 'airlock');
    assert.equal((l as Record<string, unknown>).cacheScope, undefined);
    const a = await modern.callTool({ name: 'fixture__add', arguments: { a: 2, b: 3 } });
    const b = await legacy.callTool({ name: 'fixture__add', arguments: { a: 2, b: 3 } });
    assert.deepEqual(a.structuredContent, { sum: 5 });
    assert.deepEqual(b.structuredContent, { sum: 5 });
  } finally {
    await modern.close();
    await legacy.close();
  }
  const calls = h.audit.entries.filter(
    (e) => e.type === 'request.completed' && (e.detail as { operation?: string }).operation === 'tools/call',
  );
  const versions = calls.map((e) => (e.detail as { protocolVersion?: string }).protocolVersion).sort();
  assert.deepEqual(versions, ['2025-06-18', '2026-07-28']);
});

test('the v1 client at its default 2025-11-25 gets no 2026 fields', async () => {
  const legacy = new Client({ name: 'v1', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(h.url), { requestInit: { headers: AUTH } });
  await legacy.connect(transport);
  assert.equal(transport.protocolVersion, '2025-11-25');
  try {
    const r = await legacy.callTool({ name: 'fixture__echo', arguments: { text: 'same upstream' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'same upstream' }]);
    assert.equal((r as Record<string, unknown>).resultType, undefined);
  } finally {
    await legacy.close();
  }
});

const modernCall = (name: string) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: {
      name,
      arguments: { text: 'x' },
      _meta: {
        [META_KEYS.protocolVersion]: '2026-07-28',
        [META_KEYS.clientInfo]: { name: 'raw', version: '1' },
        [META_KEYS.clientCapabilities]: {},
      },
    },
  });

interface Rpc {
  readonly id?: unknown;
  readonly result?: Record<string, unknown>;
  readonly error?: { code: number; data: { code: string; requested?: string; supported: string[] } };
}

async function post(body: string, headers: Record<string, string>) {
  const r = await fetch(h.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...AUTH,
      ...headers,
    },
    body,
  });
  return { status: r.status, headers: r.headers, body: (await r.json()) as Rpc };
}

test('2026-07-28: Mcp-Name naming another tool is refused (-32020) and recorded', async () => {
  const before = h.audit.entries.length;
  const r = await post(modernCall('fixture__echo'), {
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': 'fixture__add',
  });
  assert.equal(r.status, 400);
  assert.equal(r.body.error!.code, -32020);
  assert.equal(r.body.error!.data.code, 'mcp_header_mismatch');
  assert.equal(r.body.id, 7);
  const entry = h.audit.entries
    .slice(before)
    .find((e) => e.type === 'request.completed' && e.code === 'mcp_header_mismatch');
  assert.ok(entry, 'the refusal is an audit entry');
  assert.equal(entry.principal?.id, 'alice');
});

test('2026-07-28: missing Mcp-Method, a header revision unlike the envelope, an unknown revision', async () => {
  const noMethod = await post(modernCall('fixture__echo'), {
    'mcp-protocol-version': '2026-07-28',
    'mcp-name': 'fixture__echo',
  });
  assert.equal(noMethod.status, 400);
  assert.equal(noMethod.body.error!.data.code, 'mcp_header_mismatch');
  const otherVersion = await post(modernCall('fixture__echo'), {
    'mcp-protocol-version': '2025-11-25',
    'mcp-method': 'tools/call',
    'mcp-name': 'fixture__echo',
  });
  assert.equal(otherVersion.body.error!.code, -32020);
  const future = await post(modernCall('fixture__echo').replace('2026-07-28', '2027-01-01'), {
    'mcp-protocol-version': '2027-01-01',
    'mcp-method': 'tools/call',
    'mcp-name': 'fixture__echo',
  });
  assert.equal(future.status, 400);
  assert.equal(future.body.error!.code, -32022);
  assert.equal(future.body.error!.data.requested, '2027-01-01');
  assert.ok(future.body.error!.data.supported.includes('2026-07-28'));
});

test('2026-07-28: no session is issued or needed, and ping is not a method of this revision', async () => {
  const ok = await post(modernCall('fixture__echo'), {
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': '=?base64?Zml4dHVyZV9fZWNobw==?=',
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.result!.resultType, 'complete');
  assert.equal(ok.headers.get('mcp-session-id'), null);
  const ping = await post(modernCall('x').replace('"tools/call"', '"ping"'), {
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'ping',
  });
  assert.equal(ping.body.error!.code, -32601);
});

test('upstreams: a 2026-only server is spoken to in 2026-07-28, a 2025 one in 2025-11-25, for callers of either era', async () => {
  const modern = new V2Client(
    { name: 'v2', version: '1' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await modern.connect(new V2Transport(new URL(h.url), { requestInit: { headers: AUTH } }));
  const legacy = new Client({ name: 'v1', version: '1' });
  await legacy.connect(new Offer20250618(new URL(h.url), { requestInit: { headers: AUTH } }));
  try {
    for (const client of [modern, legacy] as const) {
      const call = (name: string, args: Record<string, unknown>) =>
        (client as Client).callTool({ name, arguments: args }) as Promise<{ content: { text?: string }[] }>;
      assert.equal((await call('modern__echo', { text: 'to 2026' })).content[0]?.text, 'to 2026');
      assert.equal((await call('modern__revision', {})).content[0]?.text, '2026-07-28');
      assert.equal((await call('legacyhttp__echo', { text: 'to 2025' })).content[0]?.text, 'to 2025');
      const seen = JSON.parse(String((await call('legacyhttp__whoami', {})).content[0]?.text)) as {
        headers: Record<string, string>;
      };
      assert.equal(seen.headers['mcp-protocol-version'], '2025-11-25');
    }
  } finally {
    await modern.close();
    await legacy.close();
  }
});
