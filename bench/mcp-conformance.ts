// Runs @modelcontextprotocol/conformance server scenarios against airlock's /mcp in front of the
// fixture server. The suite cannot present a credential, so this run authenticates every request
// as one anonymous principal allowed every fixture tool (the only difference from production).
//   node bench/mcp-conformance.ts [scenario ...]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { approveServer } from '../src/mcp/approve.ts';
import { FIXTURE_SERVER, principal, startMcpHarness } from '../test/fixtures/mcp/harness.ts';

const scenarios = process.argv.slice(2);
const h = await startMcpHarness({
  tokens: { anonymous: principal('conformance') },
  allowed: { conformance: ['fixture__echo', 'fixture__add', 'fixture__fail'] },
  anonymous: 'anonymous',
  mcp: {
    surface: { allowedHosts: ['127.0.0.1', 'localhost'] },
    servers: [{ name: 'fixture', transport: 'stdio', command: 'node', args: [FIXTURE_SERVER] }],
  },
});
for (const u of h.plane.upstreams.values()) await approveServer(u, h.plane.pins, { actor: 'conformance' });
const bin = join(import.meta.dirname, '../node_modules/.bin/conformance');
try {
  for (const scenario of scenarios.length
    ? scenarios
    : ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection']) {
    // Asynchronous: the gateway under test runs in this process and must keep serving.
    const r = await new Promise<{ status: number | null; text: string }>((resolve) => {
      const child = spawn(bin, ['server', '--url', h.url, '--scenario', scenario]);
      let text = '';
      child.stdout.on('data', (c) => {
        text += c;
      });
      child.stderr.on('data', (c) => {
        text += c;
      });
      child.on('close', (status) => resolve({ status, text }));
    });
    const out = r.text
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('npm warn'));
    console.log(
      `== ${scenario} (exit ${r.status})\n${out
        .filter((l) => /(PASS|FAIL|✓|✗|passed|failed|Error|error)/.test(l))
        .slice(0, 12)
        .join('\n')}`,
    );
  }
} finally {
  await h.close();
}
