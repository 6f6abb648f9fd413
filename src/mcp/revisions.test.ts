import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeHeaderValue,
  discoverResult,
  eraOf,
  headerMismatch,
  isModernVersion,
  META_KEYS,
  negotiateLegacy,
  resultForRevision,
  toolForRevision,
} from './revisions.ts';

const envelope = (version: string, caps: unknown = {}) => ({
  _meta: { [META_KEYS.protocolVersion]: version, [META_KEYS.clientCapabilities]: caps },
});
const SERVER = { name: 'airlock', version: '0.1.0' };

test('era: a _meta revision claim makes a 2026-era request; no claim is the 2025 era', () => {
  assert.deepEqual(eraOf(envelope('2026-07-28'), '2026-07-28'), { kind: 'modern', version: '2026-07-28' });
  assert.deepEqual(eraOf({}, '2025-06-18'), { kind: 'legacy' });
  assert.deepEqual(eraOf({}, undefined), { kind: 'legacy' });
  assert.equal(isModernVersion('2026-07-28'), true);
  assert.equal(isModernVersion('2025-11-25'), false);
});

test('era: an unknown claimed revision is refused with what is supported', () => {
  const e = eraOf(envelope('2027-01-01'), '2027-01-01');
  assert.equal(e.kind, 'refused');
  assert.equal(e.kind === 'refused' && e.code, 'unsupported_protocol_version');
  assert.equal(e.kind === 'refused' && e.requested, '2027-01-01');
  // A 2025 revision claimed in the envelope is not a 2026-era request either.
  assert.equal(eraOf(envelope('2025-11-25'), '2025-11-25').kind, 'refused');
  // A header that contradicts the claim is judged first (by the recorded header check, -32020).
  assert.deepEqual(eraOf(envelope('2027-01-01'), '2026-07-28'), { kind: 'modern', version: '2027-01-01' });
  assert.deepEqual(eraOf(envelope('2026-07-28'), undefined), { kind: 'modern', version: '2026-07-28' });
});

test('era: a 2026 header without the envelope, or an envelope without capabilities, is invalid', () => {
  const noEnvelope = eraOf({}, '2026-07-28');
  assert.equal(noEnvelope.kind === 'refused' && noEnvelope.code, 'mcp_invalid_params');
  const noCaps = eraOf({ _meta: { [META_KEYS.protocolVersion]: '2026-07-28' } }, '2026-07-28');
  assert.equal(noCaps.kind === 'refused' && noCaps.code, 'mcp_invalid_params');
  const future = eraOf({}, '2030-01-01');
  assert.equal(future.kind === 'refused' && future.code, 'unsupported_protocol_version');
});

test('headers: 2026-era requests need MCP-Protocol-Version, Mcp-Method and Mcp-Name agreeing with the body', () => {
  const modern = { kind: 'modern', version: '2026-07-28' } as const;
  const call = { kind: 'request', method: 'tools/call', params: { name: 'fx__echo' } } as const;
  const h = (version?: string, method?: string, name?: string) => ({ version, method, name });
  assert.equal(headerMismatch(h('2026-07-28', 'tools/call', 'fx__echo'), call, modern), undefined);
  assert.match(
    String(headerMismatch(h(undefined, 'tools/call', 'fx__echo'), call, modern)),
    /Protocol-Version/,
  );
  assert.match(String(headerMismatch(h('2025-11-25', 'tools/call', 'fx__echo'), call, modern)), /differs/);
  assert.match(String(headerMismatch(h('2026-07-28', undefined, 'fx__echo'), call, modern)), /Mcp-Method/);
  assert.match(String(headerMismatch(h('2026-07-28', 'tools/list', 'fx__echo'), call, modern)), /Mcp-Method/);
  assert.match(String(headerMismatch(h('2026-07-28', 'tools/call'), call, modern)), /Mcp-Name/);
  assert.match(String(headerMismatch(h('2026-07-28', 'tools/call', 'fx__add'), call, modern)), /Mcp-Name/);
  // resources/read mirrors uri; tools/list has no Mcp-Name.
  const read = { kind: 'request', method: 'resources/read', params: { uri: 'file:///a' } } as const;
  assert.equal(headerMismatch(h('2026-07-28', 'resources/read', 'file:///a'), read, modern), undefined);
  const list = { kind: 'request', method: 'tools/list', params: {} } as const;
  assert.equal(headerMismatch(h('2026-07-28', 'tools/list'), list, modern), undefined);
  // Notifications are exempt from the presence rule.
  const note = { kind: 'notification', method: 'notifications/cancelled', params: {} } as const;
  assert.equal(headerMismatch(h(), note, modern), undefined);
});

test('headers: 2025-era requests may omit them, and when present they must agree', () => {
  const legacy = { kind: 'legacy' } as const;
  const call = { kind: 'request', method: 'tools/call', params: { name: 'fx__echo' } } as const;
  const h = (method?: string, name?: string) => ({ version: '2025-06-18', method, name });
  assert.equal(headerMismatch(h(), call, legacy), undefined);
  assert.equal(headerMismatch(h('tools/call', 'fx__echo'), call, legacy), undefined);
  assert.notEqual(headerMismatch(h('initialize'), call, legacy), undefined);
  assert.notEqual(headerMismatch(h(undefined, 'other'), call, legacy), undefined);
  assert.notEqual(headerMismatch(h('tools/call'), { kind: 'response' }, legacy), undefined);
});

test('headers: Mcp-Name values may be =?base64?…?= encoded; malformed encodings never match', () => {
  const b64 = (s: string) => `=?base64?${Buffer.from(s).toString('base64')}?=`;
  assert.equal(decodeHeaderValue('plain'), 'plain');
  assert.equal(decodeHeaderValue(b64('fx__écho')), 'fx__écho');
  assert.equal(decodeHeaderValue('=?base64?not base64!?='), undefined);
  assert.equal(decodeHeaderValue(`=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=`), undefined);
  const modern = { kind: 'modern', version: '2026-07-28' } as const;
  const call = { kind: 'request', method: 'tools/call', params: { name: 'fx__écho' } } as const;
  assert.equal(
    headerMismatch({ version: '2026-07-28', method: 'tools/call', name: b64('fx__écho') }, call, modern),
    undefined,
  );
  assert.notEqual(
    headerMismatch({ version: '2026-07-28', method: 'tools/call', name: '=?base64?%%?=' }, call, modern),
    undefined,
  );
});

test('results: 2026 callers get resultType, serverInfo and private list caching; 2025 callers none of it', () => {
  const upstream = {
    content: [{ type: 'text', text: 'hi' }],
    resultType: 'complete',
    _meta: { [META_KEYS.serverInfo]: { name: 'internal-tool-server', version: '9' }, trace: 'x' },
  };
  const modern = resultForRevision('tools/call', upstream, '2026-07-28', SERVER);
  assert.equal(modern.resultType, 'complete');
  assert.deepEqual(modern._meta, { trace: 'x', [META_KEYS.serverInfo]: SERVER });
  assert.equal('ttlMs' in modern, false);
  const legacy = resultForRevision('tools/call', upstream, '2025-11-25', SERVER);
  assert.equal('resultType' in legacy, false);
  assert.deepEqual(legacy._meta, { trace: 'x' });
  const read = resultForRevision('resources/read', { contents: [] }, '2026-07-28', SERVER);
  assert.equal(read.cacheScope, 'private');
  assert.equal('ttlMs' in resultForRevision('prompts/get', { messages: [] }, '2026-07-28', SERVER), false);
  const list = resultForRevision('tools/list', { tools: [] }, '2026-07-28', SERVER);
  assert.equal(list.cacheScope, 'private');
  assert.equal(list.ttlMs, 0);
  const legacyList = resultForRevision(
    'tools/list',
    { tools: [], ttlMs: 5, cacheScope: 'public' },
    '2025-06-18',
    SERVER,
  );
  assert.deepEqual(legacyList, { tools: [] });
});

test('tools: task support is never advertised; icons, title and outputSchema follow the revision', () => {
  const tool = {
    name: 'fx__add',
    title: 'Add',
    icons: [{ src: 'data:,' }],
    inputSchema: { type: 'object' },
    outputSchema: { type: 'object' },
    execution: { taskSupport: 'required' },
  };
  assert.deepEqual(Object.keys(toolForRevision(tool, '2026-07-28')).sort(), [
    'icons',
    'inputSchema',
    'name',
    'outputSchema',
    'title',
  ]);
  assert.deepEqual(Object.keys(toolForRevision(tool, '2025-06-18')).sort(), [
    'inputSchema',
    'name',
    'outputSchema',
    'title',
  ]);
  assert.deepEqual(Object.keys(toolForRevision(tool, '2025-03-26')).sort(), ['inputSchema', 'name']);
  const listed = resultForRevision('tools/list', { tools: [tool] }, '2025-11-25', SERVER);
  assert.equal('execution' in (listed.tools as Record<string, unknown>[])[0]!, false);
});

test('tool results: structuredContent is withheld from 2025-03-26 callers (content keeps the text)', () => {
  const r = { content: [{ type: 'text', text: '3' }], structuredContent: { sum: 3 } };
  assert.equal('structuredContent' in resultForRevision('tools/call', r, '2025-03-26', SERVER), false);
  assert.deepEqual(resultForRevision('tools/call', r, '2025-06-18', SERVER).structuredContent, { sum: 3 });
});

test('discover and initialize: every supported revision is offered; initialize settles on a 2025 one', () => {
  const d = discoverResult({ tools: {} }, 'be careful');
  assert.deepEqual(d.supportedVersions, ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26']);
  assert.equal(d.instructions, 'be careful');
  assert.equal(negotiateLegacy('2025-06-18'), '2025-06-18');
  assert.equal(negotiateLegacy('2026-07-28'), '2025-11-25');
  assert.equal(negotiateLegacy(42), '2025-11-25');
});
