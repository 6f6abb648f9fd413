// Progress on /mcp: a tools/call carrying `_meta.progressToken` from a caller that accepts SSE gets
// the upstream's progress notifications under its own token, then the result as the last event;
// a progress message holding a credential is withheld (DLP); the call is recorded as usual.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startConformanceGateway } from '../fixtures/mcp/conformance.ts';
import type { McpHarness } from '../fixtures/mcp/harness.ts';

let h: McpHarness;
let sid: string;
before(async () => {
  h = await startConformanceGateway();
  const init = await fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  sid = String(init.headers.get('mcp-session-id'));
});
after(() => h.close());

async function call(args: Record<string, unknown>, accept: string, progressToken?: string) {
  const r = await fetch(h.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept,
      'mcp-session-id': sid,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: {
        name: 'test_tool_with_progress',
        arguments: args,
        ...(progressToken ? { _meta: { progressToken } } : {}),
      },
    }),
  });
  return { type: r.headers.get('content-type') ?? '', text: await r.text() };
}

interface SseMessage {
  readonly id?: number;
  readonly method?: string;
  readonly params: { progressToken?: string; progress?: number; message?: string };
  readonly result: { content: unknown };
}

const events = (sse: string) =>
  sse
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice(6)) as SseMessage);

test('progress is relayed under the caller token, then the result ends the stream', async () => {
  const r = await call({}, 'application/json, text/event-stream', 'tok-1');
  assert.match(r.type, /text\/event-stream/);
  const all = events(r.text);
  const progress = all.filter((e) => e.method === 'notifications/progress');
  assert.deepEqual(
    progress.map((e) => [e.params.progressToken, e.params.progress, e.params.message]),
    [
      ['tok-1', 0, 'step 0'],
      ['tok-1', 50, 'step 50'],
      ['tok-1', 100, 'step 100'],
    ],
  );
  const last = all.at(-1)!;
  assert.equal(last.id, 9);
  assert.deepEqual(last.result.content, [{ type: 'text', text: 'progress reported' }]);
});

test('a progress message holding a credential is withheld; the numbers still flow', async () => {
  const r = await call({ leak: true }, 'application/json, text/event-stream', 'tok-2');
  const progress = events(r.text).filter((e) => e.method === 'notifications/progress');
  assert.equal(progress.length, 3);
  assert.equal(progress[1]!.params.progress, 50);
  assert.equal(progress[1]!.params.message, undefined);
  assert.doesNotMatch(r.text, /ghp_/);
});

test('without a token, or without SSE in Accept, the answer is one JSON body', async () => {
  for (const r of [
    await call({}, 'application/json, text/event-stream'),
    await call({}, 'application/json', 'tok-3'),
  ]) {
    assert.match(r.type, /application\/json/);
    assert.equal((JSON.parse(r.text) as { id: number }).id, 9);
  }
  const recorded = h.audit.entries.filter(
    (e) =>
      e.type === 'request.completed' && (e.detail as { tool?: string }).tool === 'test_tool_with_progress',
  );
  assert.equal(recorded.length, 4);
  assert.ok(recorded.every((e) => e.outcome === 'allow'));
});
