// Attack: progress messages were checked with the DLP engine from start-up, so an approved live DLP
// change (src/dlp/live-dlp.ts: a new dictionary term, a new rule) did not reach them and a tool could
// stream what the DLP in force now reports. A progress message is checked with the request's pinned
// DLP snapshot, like the rest of the request. Real gateway, stdio child, SSE progress.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dlpConfigSchema } from '../../src/dlp/config.ts';
import { compileDlp, createLiveDlp } from '../../src/dlp/live-dlp.ts';
import { approveServer } from '../../src/mcp/approve.ts';
import { CONFORMANCE_SERVER } from '../fixtures/mcp/conformance.ts';
import { type McpHarness, principal, startMcpHarness } from '../fixtures/mcp/harness.ts';

const live = createLiveDlp(compileDlp(undefined));
const startup = live.engine;
let h: McpHarness;
let sid: string;
const headers = { 'content-type': 'application/json', authorization: 'Bearer alice-token' };

before(async () => {
  h = await startMcpHarness({
    tokens: { 'alice-token': principal('alice') },
    allowed: { alice: ['test_tool_with_progress'] },
    inspect: { engine: startup, current: live.current },
    mcp: {
      surface: { allowedHosts: ['127.0.0.1'] },
      servers: [
        {
          name: 'conformance',
          transport: 'stdio',
          command: 'node',
          args: [CONFORMANCE_SERVER],
          namespaced: false,
        },
      ],
    },
  });
  for (const u of h.plane.upstreams.values()) await approveServer(u, h.plane.pins, { actor: 'test' });
  const init = await fetch(h.url, {
    method: 'POST',
    headers: { ...headers, accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  sid = String(init.headers.get('mcp-session-id'));
});
after(() => h?.close());

async function progressMessages(): Promise<(string | undefined)[]> {
  const r = await fetch(h.url, {
    method: 'POST',
    headers: {
      ...headers,
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sid,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p' } },
    }),
  });
  assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
  return (await r.text())
    .split('\n\n')
    .map((b) => b.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice(6)) as { method?: string; params?: { message?: string } })
    .filter((e) => e.method === 'notifications/progress')
    .map((e) => e.params?.message);
}

test('an approved live DLP change reaches progress messages (the request pinned snapshot)', async () => {
  assert.deepEqual(await progressMessages(), ['step 0', 'step 50', 'step 100']);
  // A site-defined term: the start-up engine does not report it, the DLP now in force does.
  live.swap(dlpConfigSchema.parse({ dictionaries: { codename: ['step'] } }));
  try {
    assert.equal(startup.scan('step 50').length, 0);
    assert.deepEqual(await progressMessages(), [undefined, undefined, undefined]);
  } finally {
    live.swap(dlpConfigSchema.parse({}));
  }
  assert.deepEqual(await progressMessages(), ['step 0', 'step 50', 'step 100']);
});
