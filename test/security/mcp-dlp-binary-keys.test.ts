// Attack: smuggle a credential to an MCP server past DLP by putting it where the walker skips
// "binary" payloads of results: a tool argument named `blob`, an argument object shaped like an
// image content block (`{ type: 'image', data }`), a prompt argument named `blob`, or a prompt
// argument's name itself. Secure default (P6): a credential headed to a tool or prompt server is
// blocked, wherever in the arguments it sits. Real gateway, official SDK client, stdio child.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { checksummed } from '../../src/dlp/rules/synth.ts';
import { startConformanceGateway } from '../fixtures/mcp/conformance.ts';
import type { McpHarness } from '../fixtures/mcp/harness.ts';

let h: McpHarness;
let client: Client;
const KEY = checksummed('ghp_', 'smuggled-in-binary');

before(async () => {
  h = await startConformanceGateway();
  client = new Client({ name: 'attacker', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(h.url)));
});
after(async () => {
  await client?.close().catch(() => {});
  await h?.close();
});

async function blocked(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof McpError, String(err));
    assert.equal((err.data as { code?: string } | undefined)?.code, 'dlp_blocked', String(err));
    return true;
  });
}

test('tools/call: a credential in an argument named blob is blocked', async () => {
  await blocked(client.callTool({ name: 'test_simple_text', arguments: { blob: KEY } }));
  await blocked(client.callTool({ name: 'test_simple_text', arguments: { nested: { blob: `key ${KEY}` } } }));
});

test('tools/call: a credential in an image-shaped argument object is blocked', async () => {
  await blocked(
    client.callTool({ name: 'test_simple_text', arguments: { attachment: { type: 'image', data: KEY } } }),
  );
  await blocked(client.callTool({ name: 'test_simple_text', arguments: { type: 'audio', data: KEY } }));
});

test('prompts/get: a credential in an argument named blob, or as an argument name, is blocked', async () => {
  await blocked(
    client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b', blob: KEY } }),
  );
  await blocked(
    client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b', [KEY]: 'x' } }),
  );
});

test('tools/call: a credential as an argument name is blocked and never echoed in a field path', async () => {
  await blocked(client.callTool({ name: 'test_simple_text', arguments: { [KEY]: 'x' } }));
  await blocked(
    client.callTool({ name: 'test_simple_text', arguments: { [KEY]: { inner: `again ${KEY}` } } }),
  );
  const fields = h.audit.entries.flatMap((e) =>
    ((e.detail as { findings?: { field: string }[] } | undefined)?.findings ?? []).map((f) => f.field),
  );
  assert.ok(fields.length > 0);
  for (const f of fields) assert.ok(!f.includes(KEY), 'a finding field path never holds the value');
});

test('a credential in a resource URI or a prompt name is blocked before the server or the audit log sees it', async () => {
  await blocked(client.readResource({ uri: `test://static-text?token=${KEY}` }));
  await blocked(client.readResource({ uri: `airlock://${KEY}/x` }));
  await blocked(client.getPrompt({ name: KEY }));
  assert.ok(!JSON.stringify(h.audit.entries).includes(KEY), 'the audit log never holds the value');
});

test('a credential typed as a tool name is refused as unknown and never written to the audit log', async () => {
  await assert.rejects(client.callTool({ name: KEY, arguments: {} }), (err: unknown) => {
    assert.ok(err instanceof McpError);
    assert.equal((err.data as { code?: string } | undefined)?.code, 'tool_not_found');
    return true;
  });
  assert.ok(!JSON.stringify(h.audit.entries).includes(KEY), 'the audit log never holds the value');
});

test('the same calls without a credential still work', async () => {
  const r = await client.callTool({ name: 'test_simple_text', arguments: { blob: 'aGVsbG8=' } });
  assert.equal(r.isError ?? false, false);
  const p = await client.getPrompt({
    name: 'test_prompt_with_arguments',
    arguments: { arg1: 'a', arg2: 'b' },
  });
  assert.ok(p.messages.length > 0);
  assert.ok(!JSON.stringify(h.audit.entries).includes(KEY), 'the audit log never holds the value');
});
