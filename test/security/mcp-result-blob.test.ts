// Attack: a credential in an MCP result's `blob` (a text resource sent as base64 in resources/read,
// or an embedded resource in a tool result) reached the client unredacted: result binary was not
// scanned. Issue #7: small base64 payloads are decoded and scanned. A blob up to the DLP base64
// bound (`dlp.base64.maxDecodedBytes`) that is text (valid UTF-8, or a text mimeType) is scanned
// with the request's DLP snapshot: a credential is redacted (re-encoded) or blocked per the output
// action. Binary blobs (a PNG) and larger ones pass unchanged. Real gateway, official SDK client,
// stdio child.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { dlpConfigSchema } from '../../src/dlp/config.ts';
import { compileDlp, createLiveDlp } from '../../src/dlp/live-dlp.ts';
import { synth } from '../../src/dlp/rules/synth.ts';
import { approveServer } from '../../src/mcp/approve.ts';
import { type McpHarness, principal, startMcpHarness } from '../fixtures/mcp/harness.ts';

// The fixture's 1x1 PNG (blob://pixel.png).
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const SERVER = join(import.meta.dirname, '../fixtures/mcp/blob-server.ts');
const KEY = `AKIA${synth('mcp-result-blob', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;
const live = createLiveDlp(compileDlp(undefined));
let h: McpHarness;
let client: Client;

before(async () => {
  h = await startMcpHarness({
    tokens: { 'alice-token': principal('alice') },
    allowed: { alice: ['embed'] },
    content: true,
    secrets: { BLOB_SECRET: KEY },
    inspect: { engine: live.engine, current: live.current },
    mcp: {
      surface: { allowedHosts: ['127.0.0.1'] },
      servers: [
        {
          name: 'blobs',
          transport: 'stdio',
          command: 'node',
          args: [SERVER],
          namespaced: false,
          env: { BLOB_SECRET: 'secret:BLOB_SECRET' },
        },
      ],
    },
  });
  for (const u of h.plane.upstreams.values()) await approveServer(u, h.plane.pins, { actor: 'test' });
  client = new Client({ name: 'victim', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(h.url), {
      requestInit: { headers: { authorization: 'Bearer alice-token' } },
    }),
  );
});
after(async () => {
  await client?.close().catch(() => {});
  await h?.close();
});

const blobOf = (r: unknown): string => {
  const m = /"blob":"([^"]*)"/.exec(JSON.stringify(r));
  assert.ok(m, 'a blob came back');
  return m[1]!;
};
const decoded = (r: unknown) => Buffer.from(blobOf(r), 'base64').toString('utf8');

test('resources/read: a credential in a base64 text blob is redacted before the client sees it', async () => {
  for (const uri of ['blob://key.txt', 'blob://key.bin']) {
    const r = await client.readResource({ uri });
    const text = decoded(r);
    assert.ok(!text.includes(KEY), `${uri}: the key never reaches the client`);
    assert.ok(!text.includes(KEY.slice(4)), uri);
    assert.match(text, /AWS_ACCESS_KEY_ID|aws_access_key_id/, `${uri}: the rest of the text survives`);
  }
});

test('tools/call: a credential in an embedded resource blob is redacted', async () => {
  const r = await client.callTool({ name: 'embed', arguments: { uri: 'blob://key.txt' } });
  const text = decoded(r);
  assert.ok(!text.includes(KEY));
  assert.match(text, /aws_access_key_id = /);
});

test('a binary blob (PNG) passes unchanged; a text blob above the bound stays unscanned', async () => {
  assert.equal(blobOf(await client.readResource({ uri: 'blob://pixel.png' })), PNG);
  assert.equal(blobOf(await client.callTool({ name: 'embed', arguments: { uri: 'blob://pixel.png' } })), PNG);
  // Documented bound (dlp.base64.maxDecodedBytes, 64 KiB by default): larger blobs are not decoded.
  assert.ok(decoded(await client.readResource({ uri: 'blob://big.txt' })).length > 64 * 1024);
});

test('output action block (a live DLP change): the blob is refused with dlp_blocked', async () => {
  live.swap(
    dlpConfigSchema.parse({ actions: { categories: { secret: { input: 'block', output: 'block' } } } }),
  );
  try {
    for (const p of [
      () => client.readResource({ uri: 'blob://key.txt' }),
      () => client.callTool({ name: 'embed', arguments: { uri: 'blob://key.bin' } }),
    ])
      await assert.rejects(p(), (err: unknown) => {
        assert.ok(err instanceof McpError, String(err));
        assert.equal((err.data as { code?: string } | undefined)?.code, 'dlp_blocked', String(err));
        assert.ok(!JSON.stringify(err).includes(KEY));
        return true;
      });
    assert.equal(blobOf(await client.readResource({ uri: 'blob://pixel.png' })), PNG);
  } finally {
    live.swap(dlpConfigSchema.parse({}));
  }
  assert.ok(!JSON.stringify(h.audit.entries).includes(KEY), 'the audit log never holds the value');
});
