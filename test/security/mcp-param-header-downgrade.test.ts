// Attack: dodge the Mcp-Param-{Name} check (2026-07-28, SEP-2243) by speaking the 2025 era. A
// proxy or WAF in front of the gateway routes on `Mcp-Param-Region: eu-west`; the client drops
// `params._meta`, opens a 2025 session and sends `region: us-east` in the body. Mcp-Method and
// Mcp-Name are checked in the 2025 era when present; Mcp-Param headers must be too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { META_KEYS } from '../../src/mcp/revisions.ts';
import { startConformanceGateway } from '../fixtures/mcp/conformance.ts';
import type { McpHarness } from '../fixtures/mcp/harness.ts';

let h: McpHarness;
let session: string;

before(async () => {
  h = await startConformanceGateway();
});
after(async () => {
  await h?.close();
});

interface Rpc {
  readonly result?: { content?: { text?: string }[] };
  readonly error?: { code: number; data?: { code?: string } };
}

async function post(body: unknown, headers: Record<string, string>) {
  const r = await fetch(h.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: (text ? JSON.parse(text) : {}) as Rpc };
}

const call = (region: string, meta = false) => ({
  jsonrpc: '2.0',
  id: 9,
  method: 'tools/call',
  params: {
    name: 'test_header_param',
    arguments: { region },
    ...(meta
      ? {
          _meta: {
            [META_KEYS.protocolVersion]: '2026-07-28',
            [META_KEYS.clientInfo]: { name: 'attacker', version: '1' },
            [META_KEYS.clientCapabilities]: {},
          },
        }
      : {}),
  },
});

test('2025 session: set up', async () => {
  const init = await post(
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'attacker', version: '1' },
      },
    },
    {},
  );
  assert.equal(init.status, 200);
  session = init.headers.get('mcp-session-id') ?? '';
  assert.ok(session);
  const ack = await post(
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
  );
  assert.equal(ack.status, 202);
});

const legacy = () => ({ 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });

test('2025 era: a Mcp-Param header that differs from the argument is refused (-32020)', async () => {
  const r = await post(call('us-east'), { ...legacy(), 'mcp-param-region': 'eu-west' });
  assert.equal(r.body.result, undefined, 'the tool ran with a value the header did not route on');
  assert.equal(r.body.error?.code, -32020);
  assert.equal(r.body.error?.data?.code, 'mcp_header_mismatch');
  // Also when only the base64 form disagrees.
  const b64 = `=?base64?${Buffer.from('eu-west').toString('base64')}?=`;
  const r2 = await post(call('us-east'), { ...legacy(), 'mcp-param-region': b64 });
  assert.equal(r2.body.error?.data?.code, 'mcp_header_mismatch');
});

test('2025 era: no Mcp-Param header, or a matching one, still works', async () => {
  const bare = await post(call('us-east'), legacy());
  assert.equal(bare.body.result?.content?.[0]?.text, 'region us-east');
  const same = await post(call('us-east'), { ...legacy(), 'mcp-param-region': 'us-east' });
  assert.equal(same.body.result?.content?.[0]?.text, 'region us-east');
});

test('2026 era: the same mismatch is refused, and the header is required', async () => {
  const modern = {
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': 'test_header_param',
  };
  const r = await post(call('us-east', true), { ...modern, 'mcp-param-region': 'eu-west' });
  assert.equal(r.body.error?.data?.code, 'mcp_header_mismatch');
  const missing = await post(call('us-east', true), modern);
  assert.equal(missing.body.error?.data?.code, 'mcp_header_mismatch');
  const ok = await post(call('us-east', true), { ...modern, 'mcp-param-region': 'us-east' });
  assert.equal(ok.body.result?.content?.[0]?.text, 'region us-east');
});
