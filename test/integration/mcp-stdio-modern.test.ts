// stdio upstreams through the v2 SDK client: a child on the v2 server SDK is spoken to at
// 2026-07-28 (probed in place, one process), a v1 child at the 2025 handshake, and a child that
// exits on the probe is restarted with the 2025 handshake only. The child keeps its scrubbed
// environment and the egress guard preload: its network attempt is refused and reported.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { approveServer } from '../../src/mcp/approve.ts';
import { mcpConfigSchema, type StdioServerConfig } from '../../src/mcp/config.ts';
import type { UpstreamEvent } from '../../src/mcp/sdk-upstream.ts';
import { createStdioUpstream } from '../../src/mcp/stdio-upstream.ts';
import { FIXTURE_SERVER, type McpHarness, principal, startMcpHarness } from '../fixtures/mcp/harness.ts';

const MODERN = join(import.meta.dirname, '../fixtures/mcp/modern-stdio-server.ts');
const STRICT = join(import.meta.dirname, '../fixtures/mcp/strict-stdio-server.ts');
const signal = new AbortController().signal;

let listener: Server;
let port = 0;
const dir = mkdtempSync(join(tmpdir(), 'airlock-stdio-modern-'));
const spawnLog = join(dir, 'spawns');
before(async () => {
  listener = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
after(() => {
  listener.close();
  rmSync(dir, { recursive: true, force: true });
});

function stdioConfig(name: string, script: string): StdioServerConfig {
  const parsed = mcpConfigSchema.parse({
    servers: [
      {
        name,
        transport: 'stdio',
        command: 'node',
        args: [script],
        vars: { SPAWN_LOG: spawnLog },
        restart: { initialDelay: '20ms' },
      },
    ],
  });
  return parsed.servers[0] as StdioServerConfig;
}

function start(name: string, script: string) {
  const events: UpstreamEvent[] = [];
  const denied: Record<string, unknown>[] = [];
  const upstream = createStdioUpstream(stdioConfig(name, script), {
    resolveSecret: () => {
      throw new Error('no secrets here');
    },
    onEvent: (e) => events.push(e),
    onEgressDenied: (_server, e) => denied.push(e),
  });
  return { upstream, events, denied };
}

const text = (r: Record<string, unknown>) => (r.content as { text: string }[])[0]!.text;
const connected = (events: UpstreamEvent[]) =>
  events
    .filter((e) => e.type === 'connected')
    .map((e) => (e as { protocolVersion: string | null }).protocolVersion);

test('a v2-SDK stdio child is spoken to at 2026-07-28, in one process, scrubbed and under the egress guard', async () => {
  const s = start('modern', MODERN);
  try {
    await s.upstream.start();
    assert.deepEqual(connected(s.events), ['2026-07-28']);
    assert.deepEqual((await s.upstream.listTools(signal)).map((t) => t.name).sort(), [
      'connect_out',
      'echo',
      'whoami',
    ]);
    assert.equal(text(await s.upstream.callTool('echo', { text: 'hi' }, signal)), 'hi');
    const who = JSON.parse(text(await s.upstream.callTool('whoami', {}, signal))) as {
      env: string[];
      home: string;
    };
    assert.deepEqual(
      who.env.filter((k) => !['LANG', 'NODE_CHANNEL_FD', 'NODE_UNIQUE_ID'].includes(k)),
      ['AIRLOCK_EGRESS_POLICY', 'HOME', 'NODE_OPTIONS', 'PATH', 'SPAWN_LOG', 'TMPDIR'],
    );
    // Probed in place: one process for the probe and the session (no sibling with unread stderr).
    assert.equal(readFileSync(spawnLog, 'utf8').trim().split('\n').length, 1);
    assert.match(who.home, /airlock-mcp-modern-/);
    const out = await s.upstream.callTool('connect_out', { host: '127.0.0.1', port }, signal);
    assert.equal(out.isError, true);
    assert.match(text(out), /EAIRLOCKEGRESS/);
    // The refusal travels on the child's stderr, which may be read after the tool's answer arrives.
    for (let i = 0; i < 500 && s.denied.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(s.denied.length, 1, 'the refusal reached the gateway to be recorded');
  } finally {
    await s.upstream.close();
  }
});

test('a v1-SDK stdio child gets the 2025 handshake from the same client', async () => {
  const s = start('legacy', FIXTURE_SERVER);
  try {
    await s.upstream.start();
    assert.deepEqual(connected(s.events), ['2025-11-25']);
    assert.equal(text(await s.upstream.callTool('echo', { text: 'hi' }, signal)), 'hi');
  } finally {
    await s.upstream.close();
  }
});

test('a child that exits on the discover probe is restarted with the 2025 handshake only', async () => {
  const s = start('strict', STRICT);
  try {
    await assert.rejects(s.upstream.start());
    assert.equal(s.events[0]?.type, 'connect_failed');
    while (s.upstream.state() !== 'ready') await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(connected(s.events), ['2025-11-25']);
    assert.equal(text(await s.upstream.callTool('echo', { text: 'again' }, signal)), 'again');
  } finally {
    await s.upstream.close();
  }
});

test('through the gateway: a 2026-07-28 client calls a 2026-07-28 stdio upstream', async () => {
  const h: McpHarness = await startMcpHarness({
    tokens: { 'alice-token': principal('alice') },
    allowed: { alice: ['modern__echo'] },
    mcp: {
      surface: { allowedHosts: ['127.0.0.1'] },
      servers: [{ name: 'modern', transport: 'stdio', command: 'node', args: [MODERN] }],
    },
  });
  const c = new V2Client({ name: 't', version: '1' }, { versionNegotiation: { mode: 'auto' } });
  try {
    for (const u of h.plane.upstreams.values()) await approveServer(u, h.plane.pins, { actor: 'test' });
    await c.connect(
      new V2Transport(new URL(h.url), { requestInit: { headers: { authorization: 'Bearer alice-token' } } }),
    );
    assert.equal(c.getNegotiatedProtocolVersion(), '2026-07-28');
    assert.deepEqual(
      (await c.listTools()).tools.map((t) => t.name),
      ['modern__echo'],
    );
    const r = await c.callTool({ name: 'modern__echo', arguments: { text: 'through' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'through' }]);
  } finally {
    await c.close();
    await h.close();
  }
});
