// tools/call overhead: the same fixture tool (stdio, under the egress guard) called directly with the
// SDK client, and through the gateway's /mcp with every stage on (stub authentication, tool
// authorization with the arguments, DLP on arguments and result, audit record with keyed hashes
// into an in-memory sink). One call in flight; p50 / p99 of each and the difference.
//   node bench/mcp-call.ts [calls=2000]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { approveServer } from '../src/mcp/approve.ts';
import { FIXTURE_SERVER, principal, startMcpHarness } from '../test/fixtures/mcp/harness.ts';

const N = Number(process.argv[2] ?? 2000);
const WARMUP = 200;
const args = {
  text: 'The quarterly report is attached; summarise the revenue section in two lines. '.repeat(4),
};

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(client: Client, name: string): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await client.callTool({ name, arguments: args });
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await client.callTool({ name, arguments: args });
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

const direct = new Client({ name: 'bench', version: '1' });
await direct.connect(
  new StdioClientTransport({ command: process.execPath, args: [FIXTURE_SERVER], stderr: 'ignore' }),
);
const h = await startMcpHarness({
  tokens: { t: principal('bench') },
  allowed: { bench: ['fixture__echo'] },
  mcp: {
    surface: { allowedHosts: ['127.0.0.1'] },
    servers: [{ name: 'fixture', transport: 'stdio', command: 'node', args: [FIXTURE_SERVER] }],
  },
});
for (const u of h.plane.upstreams.values()) await approveServer(u, h.plane.pins, { actor: 'bench' });
const viaGateway = new Client({ name: 'bench', version: '1' });
await viaGateway.connect(
  new StreamableHTTPClientTransport(new URL(h.url), {
    requestInit: { headers: { authorization: 'Bearer t' } },
  }),
);
// Baseline for the client side of HTTP: the SDK HTTP client itself adds cost that is not the gateway's.
try {
  const d = await measure(direct, 'echo');
  const g = await measure(viaGateway, 'fixture__echo');
  const row = (label: string, s: number[]) =>
    `${label.padEnd(28)} p50 ${pct(s, 50).toFixed(3)} ms  p99 ${pct(s, 99).toFixed(3)} ms`;
  console.log(`tools/call, ${N} calls, one in flight, ${JSON.stringify(args).length} B arguments`);
  console.log(row('direct (SDK stdio client)', d));
  console.log(row('through airlock /mcp', g));
  console.log(
    `added: p50 ${(pct(g, 50) - pct(d, 50)).toFixed(3)} ms, p99 ${(pct(g, 99) - pct(d, 99)).toFixed(3)} ms (includes the client's HTTP hop)`,
  );
  console.log(`audit entries written: ${h.audit.entries.length}`);
} finally {
  await direct.close();
  await viaGateway.close();
  await h.close();
}
