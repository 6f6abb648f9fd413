// CPU the /mcp pipeline spends per tools/call, which a loaded machine disturbs far less than wall
// time: the same undici client posts the same tools/call (a) to a bare Fastify listener that answers
// the same JSON-RPC result, and (b) to the gateway's /mcp, whose upstream answers at once (the stdio
// fixture's callTool replaced by an immediate result, so no child and no pipe are timed). The
// difference in process CPU per call is the gateway's own work: authentication (stub), session and
// tool resolution, authorisation with arguments, DLP on arguments and result, JSON-RPC framing and
// the audit record (canonical JSON + SHA-256 per entry, like the log; two entries per call).
//   node bench/mcp-cpu.ts [calls=5000]
import { Pool } from 'undici';
import { buildListener } from '../src/http/server.ts';
import { approveServer } from '../src/mcp/approve.ts';
import { FIXTURE_SERVER, principal, startMcpHarness } from '../test/fixtures/mcp/harness.ts';
import { createCountingAuditSink } from './counting-audit.ts';

const N = Number(process.argv[2] ?? 5000);
const WARMUP = 500;
const args = {
  text: 'The quarterly report is attached; summarise the revenue section in two lines. '.repeat(4),
};
const result = { content: [{ type: 'text', text: args.text }] };

const audit = createCountingAuditSink();

const h = await startMcpHarness({
  audit,
  tokens: { t: principal('bench') },
  allowed: { bench: ['fixture__echo'] },
  mcp: {
    surface: { allowedHosts: ['127.0.0.1'] },
    servers: [{ name: 'fixture', transport: 'stdio', command: 'node', args: [FIXTURE_SERVER] }],
  },
});
for (const u of h.plane.upstreams.values()) await approveServer(u, h.plane.pins, { actor: 'bench' });
await h.plane.catalog.visible();
const upstream = h.plane.upstreams.get('fixture')!;
Object.assign(upstream, { callTool: async () => structuredClone(result) });

const bare = buildListener(
  { host: '127.0.0.1', port: 0 },
  {
    bodyBytes: 4 * 1024 * 1024,
    headerBytes: 16 * 1024,
    requestTimeout: '30s',
    maxConcurrent: 64,
    maxMessages: 64,
  },
);
bare.app.post('/mcp', async (request, reply) => {
  const body = request.body as { id: number };
  reply.type('application/json').send(JSON.stringify({ jsonrpc: '2.0', id: body.id, result }));
});
const bareBase = await bare.listen();

async function run(base: string, headers: Record<string, string>) {
  const pool = new Pool(base, { connections: 1 });
  const body = (id: number) =>
    JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'fixture__echo', arguments: args },
    });
  const call = async (id: number) => {
    const r = await pool.request({
      path: '/mcp',
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: body(id),
    });
    const text = await r.body.text();
    if (r.statusCode !== 200 || text.includes('"error"')) throw new Error(`${r.statusCode} ${text}`);
  };
  for (let i = 0; i < WARMUP; i++) await call(i);
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await call(i);
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  await pool.close();
  times.sort((a, b) => a - b);
  return {
    cpuUs: (cpu.user + cpu.system) / N,
    p50: times[Math.floor(N * 0.5)]!,
    p99: times[Math.floor(N * 0.99)]!,
  };
}

// A session for the gateway (2025 era; a 2026 client needs none).
const init = await fetch(h.url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer t' },
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'b', version: '1' } },
  }),
});
const sid = String(init.headers.get('mcp-session-id'));
try {
  const gatewayHeaders = {
    authorization: 'Bearer t',
    'mcp-session-id': sid,
    'mcp-protocol-version': '2025-11-25',
  };
  // Interleave rounds so both see the same load.
  const rounds: { bare: Awaited<ReturnType<typeof run>>; gw: Awaited<ReturnType<typeof run>> }[] = [];
  for (let r = 0; r < 3; r++)
    rounds.push({ bare: await run(bareBase, {}), gw: await run(h.base, gatewayHeaders) });
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const row = (label: string, pick: (x: (typeof rounds)[number]) => Awaited<ReturnType<typeof run>>) =>
    `${label.padEnd(36)} CPU ${median(rounds.map((x) => pick(x).cpuUs))
      .toFixed(0)
      .padStart(
        4,
      )} µs/call  p50 ${median(rounds.map((x) => pick(x).p50)).toFixed(3)} ms  p99 ${median(rounds.map((x) => pick(x).p99)).toFixed(3)} ms`;
  console.log(
    `tools/call, ${N} calls x 3 rounds (median), one in flight, ${JSON.stringify(args).length} B arguments`,
  );
  console.log(row('bare Fastify answering the result', (x) => x.bare));
  console.log(row('airlock /mcp, immediate upstream', (x) => x.gw));
  console.log(
    `gateway CPU per call: ${median(rounds.map((x) => x.gw.cpuUs - x.bare.cpuUs)).toFixed(0)} µs (client and HTTP stack subtracted); audit entries: ${audit.appended}`,
  );
} finally {
  await bare.close();
  await h.close();
}
