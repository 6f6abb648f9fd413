// tools/call overhead: the same fixture tool called directly and through the gateway's /mcp with
// every stage on (stub authentication, tool authorization with the arguments, DLP on arguments and
// result, audit record with keyed hashes into an in-memory sink). One call in flight; p50 / p99.
//   node bench/mcp-call.ts [calls=2000]
// Two upstreams: the fixture over stdio (direct = SDK stdio client), and the same fixture over
// Streamable HTTP (direct = the SDK HTTP client, the same client the gateway row uses), so the
// HTTP pair differs only by the gateway: one extra loopback HTTP hop and the pipeline.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { approveServer } from '../src/mcp/approve.ts';
import { FIXTURE_SERVER, principal, startMcpHarness } from '../test/fixtures/mcp/harness.ts';
import { createCountingAuditSink } from './counting-audit.ts';

const N = Number(process.argv[2] ?? 2000);
const WARMUP = 200;
const args = {
  text: 'The quarterly report is attached; summarise the revenue section in two lines. '.repeat(4),
};

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Calls `a` and `b` alternately, so both see the same machine load over time (paired samples). */
async function measurePair(a: [Client, string], b: [Client, string]): Promise<[number[], number[]]> {
  for (let i = 0; i < WARMUP; i++) {
    await a[0].callTool({ name: a[1], arguments: args });
    await b[0].callTool({ name: b[1], arguments: args });
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < N; i++) {
    for (const [c, name, out] of [[...a, ta] as const, [...b, tb] as const]) {
      const t0 = performance.now();
      await c.callTool({ name, arguments: args });
      out.push(performance.now() - t0);
    }
  }
  return [ta.sort((x, y) => x - y), tb.sort((x, y) => x - y)];
}

// The fixture over HTTP, in its own process.
const httpFixture = spawn(process.execPath, [FIXTURE_SERVER, '--http', '0'], {
  stdio: ['pipe', 'pipe', 'ignore'],
});
const httpPort = await new Promise<number>((resolve) => {
  createInterface({ input: httpFixture.stdout! }).once('line', (l) => resolve(JSON.parse(l).port));
});
const httpUrl = `http://127.0.0.1:${httpPort}/mcp`;

const directStdio = new Client({ name: 'bench', version: '1' });
await directStdio.connect(
  new StdioClientTransport({ command: process.execPath, args: [FIXTURE_SERVER], stderr: 'ignore' }),
);
const directHttp = new Client({ name: 'bench', version: '1' });
await directHttp.connect(new StreamableHTTPClientTransport(new URL(httpUrl)));
const audit = createCountingAuditSink();
const h = await startMcpHarness({
  audit,
  tokens: { t: principal('bench') },
  allowed: { bench: ['fixture__echo', 'remote__echo'] },
  mcp: {
    surface: { allowedHosts: ['127.0.0.1'] },
    servers: [
      { name: 'fixture', transport: 'stdio', command: 'node', args: [FIXTURE_SERVER] },
      { name: 'remote', transport: 'http', url: httpUrl },
    ],
  },
});
for (const u of h.plane.upstreams.values()) await approveServer(u, h.plane.pins, { actor: 'bench' });
const viaGateway = new Client({ name: 'bench', version: '1' });
await viaGateway.connect(
  new StreamableHTTPClientTransport(new URL(h.url), {
    requestInit: { headers: { authorization: 'Bearer t' } },
  }),
);
try {
  const [sd, sg] = await measurePair([directStdio, 'echo'], [viaGateway, 'fixture__echo']);
  const [hd, hg] = await measurePair([directHttp, 'echo'], [viaGateway, 'remote__echo']);
  const rows: [string, number[]][] = [
    ['stdio direct (SDK stdio client)', sd],
    ['stdio through airlock /mcp', sg],
    ['HTTP direct (SDK HTTP client)', hd],
    ['HTTP through airlock /mcp', hg],
  ];
  console.log(
    `tools/call, ${N} calls per row (pairs interleaved), one in flight, ${JSON.stringify(args).length} B arguments`,
  );
  for (const [label, s] of rows)
    console.log(
      `${label.padEnd(34)} p50 ${pct(s, 50).toFixed(3)} ms  p90 ${pct(s, 90).toFixed(3)} ms  p99 ${pct(s, 99).toFixed(3)} ms`,
    );
  const added = (a: number[], b: number[], p: number) => (pct(b, p) - pct(a, p)).toFixed(3);
  console.log(
    `added, stdio (includes the client's HTTP hop): p50 ${added(sd, sg, 50)} ms, p99 ${added(sd, sg, 99)} ms`,
  );
  console.log(
    `added, HTTP (same client both ways):          p50 ${added(hd, hg, 50)} ms, p99 ${added(hd, hg, 99)} ms`,
  );
  console.log(`audit entries written: ${audit.appended}`);
} finally {
  await directStdio.close();
  await directHttp.close();
  await viaGateway.close();
  await h.close();
  httpFixture.kill();
}
