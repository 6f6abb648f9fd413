// Every applicable @modelcontextprotocol/conformance server scenario, at 2025-11-25 and 2026-07-28,
// through airlock's /mcp in front of the conformance fixture server (stdio child under
// the egress guard, tools pinned). Which scenarios apply and why the rest do not:
// docs/MCP-CONFORMANCE.md and test/fixtures/mcp/conformance.ts. The 2025-06-18 set is a subset of
// the 2025-11-25 one run by the same client (`node bench/mcp-conformance.ts --spec-version
// 2025-06-18` runs it); the 2025-06-18 revision itself is negotiated in mcp-revisions.test.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  APPLICABLE,
  runScenario,
  type SpecVersion,
  startConformanceGateway,
} from '../fixtures/mcp/conformance.ts';
import type { McpHarness } from '../fixtures/mcp/harness.ts';

let h: McpHarness;
before(async () => {
  h = await startConformanceGateway();
});
after(() => h.close());

for (const version of ['2025-11-25', '2026-07-28'] as SpecVersion[]) {
  test(`conformance ${version}: every applicable server scenario passes through the gateway`, async () => {
    const failures: string[] = [];
    for (const scenario of APPLICABLE[version]) {
      const r = await runScenario(h.url, scenario, version);
      if (r.checks.length === 0) failures.push(`${scenario}: no checks ran (exit ${r.exitCode})`);
      for (const c of r.failed) failures.push(`${scenario}/${c.id}: ${c.errorMessage ?? ''}`);
    }
    assert.deepEqual(failures, []);
  });
}

test('conformance calls are pinned, authorised and recorded like any other', () => {
  const calls = h.audit.entries.filter(
    (e) => e.type === 'request.completed' && (e.detail as { operation?: string }).operation === 'tools/call',
  );
  const versions = new Set(calls.map((e) => (e.detail as { protocolVersion?: string }).protocolVersion));
  for (const v of ['2025-11-25', '2026-07-28']) assert.ok(versions.has(v), v);
  const allowed = calls.filter((e) => e.outcome === 'allow');
  assert.ok(allowed.length >= 12, `allowed tools/call entries: ${allowed.length}`);
  for (const e of allowed) assert.match(String((e.detail as { toolHash?: unknown }).toolHash), /^sha256:/);
  // http-header-validation sends calls whose routing headers disagree with the body: refused, recorded.
  assert.ok(calls.some((e) => e.code === 'mcp_header_mismatch'));
});
