import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createToolCatalog } from './catalog.ts';
import { mcpConfigSchema } from './config.ts';
import { openPinStore } from './pin-store.ts';
import type { McpUpstream, UpstreamTool } from './types.ts';

function upstream(name: string, tools: string[]): McpUpstream {
  const list: UpstreamTool[] = tools.map((t) => ({ name: t, inputSchema: { type: 'object' } }));
  return {
    name,
    transport: 'stdio',
    state: () => 'ready',
    start: async () => {},
    listTools: async () => list,
    callTool: async () => ({ content: [] }),
    onToolsChanged: () => {},
    close: async () => {},
  };
}

test('names: namespaced servers expose server__tool; one bare server keeps its own names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-catalog-'));
  try {
    const catalog = createToolCatalog({
      servers: [
        { upstream: upstream('fs', ['read']), requireApproval: false },
        {
          upstream: upstream('suite', ['test_simple_text', 'fs__read', 'read']),
          requireApproval: false,
          namespaced: false,
        },
      ],
      pins: openPinStore(join(dir, 'pins.json')),
      refreshMs: 0,
    });
    const names = (await catalog.visible()).map((t) => t.name).sort();
    // The bare server's `fs__read` would shadow the fs server's tool: hidden.
    assert.deepEqual(names, ['fs__read', 'read', 'test_simple_text']);
    assert.equal((await catalog.resolve('fs__read'))?.server, 'fs');
    assert.equal((await catalog.resolve('read'))?.server, 'suite');
    assert.equal((await catalog.resolve('test_simple_text'))?.upstreamName, 'test_simple_text');
    // A bare server's tools are not reachable under a prefix, and unknown names stay unknown.
    assert.equal(await catalog.resolve('suite__read'), undefined);
    assert.equal(await catalog.resolve('nope'), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config: at most one server may be bare', () => {
  const server = (name: string) => ({ name, transport: 'stdio', command: 'node', namespaced: false });
  assert.equal(mcpConfigSchema.safeParse({ servers: [server('a')] }).success, true);
  assert.equal(mcpConfigSchema.safeParse({ servers: [server('a'), server('b')] }).success, false);
});

test('a tool whose x-mcp-header declarations are invalid is neither listed nor callable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-catalog-'));
  try {
    const fs = upstream('fs', []);
    const tools: UpstreamTool[] = [
      {
        name: 'read',
        inputSchema: { type: 'object', properties: { path: { type: 'string', 'x-mcp-header': 'Path' } } },
      },
      {
        name: 'write',
        inputSchema: { type: 'object', properties: { path: { type: 'string', 'x-mcp-header': 'Bad Name' } } },
      },
    ];
    fs.listTools = async () => tools;
    const catalog = createToolCatalog({
      servers: [{ upstream: fs, requireApproval: false }],
      pins: openPinStore(join(dir, 'pins.json')),
      refreshMs: 0,
    });
    assert.deepEqual(
      (await catalog.visible()).map((t) => t.name),
      ['fs__read'],
    );
    assert.equal((await catalog.resolve('fs__read'))?.upstreamName, 'read');
    assert.equal(await catalog.resolve('fs__write'), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
