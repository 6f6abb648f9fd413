// Runs @modelcontextprotocol/conformance server scenarios against airlock's /mcp in front of the
// conformance fixture server (test/fixtures/mcp/conformance.ts), and prints one line per scenario.
//   node bench/mcp-conformance.ts [--spec-version 2025-06-18|2025-11-25|2026-07-28] [scenario ...]
// With no scenario, every applicable one of that revision runs; with --all, every server scenario
// the suite lists for it (the not-applicable ones fail, which is what docs/MCP-CONFORMANCE.md records).
import { parseArgs } from 'node:util';
import {
  APPLICABLE,
  runScenario,
  type SpecVersion,
  startConformanceGateway,
} from '../test/fixtures/mcp/conformance.ts';

const ALL = [
  'server-initialize',
  'server-session-lifecycle',
  'server-stateless',
  'logging-set-level',
  'ping',
  'completion-complete',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-embedded-resource',
  'tools-call-mixed-content',
  'tools-call-with-logging',
  'tools-call-error',
  'tools-call-with-progress',
  'tools-call-sampling',
  'tools-call-elicitation',
  'json-schema-2020-12',
  'elicitation-sep1034-defaults',
  'server-sse-polling',
  'server-sse-multiple-streams',
  'elicitation-sep1330-enums',
  'resources-list',
  'resources-read-text',
  'resources-read-binary',
  'resources-templates-read',
  'resources-subscribe',
  'resources-unsubscribe',
  'sep-2164-resource-not-found',
  'prompts-list',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
  'dns-rebinding-protection',
  'caching',
  'http-header-validation',
  'http-custom-header-server-validation',
];

const { values, positionals } = parseArgs({
  options: { 'spec-version': { type: 'string', default: '2025-11-25' }, all: { type: 'boolean' } },
  allowPositionals: true,
});
const version = values['spec-version'] as SpecVersion;
const scenarios = positionals.length ? positionals : values.all ? ALL : APPLICABLE[version];
const h = await startConformanceGateway();
try {
  for (const s of scenarios) {
    const r = await runScenario(h.url, s, version);
    const counts = (status: string) => r.checks.filter((c) => c.status === status).length;
    const verdict = r.checks.length === 0 ? 'SKIP' : r.failed.length === 0 ? 'PASS' : 'FAIL';
    console.log(
      `${verdict} ${s} @${version}: ${counts('SUCCESS')} ok, ${counts('FAILURE')} failed, ${counts('SKIPPED')} skipped`,
    );
    for (const c of r.failed) console.log(`    ${c.id}: ${c.errorMessage ?? ''}`.slice(0, 240));
  }
} finally {
  await h.close();
}
