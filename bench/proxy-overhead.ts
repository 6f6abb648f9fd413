// Gateway overhead: the same load straight to an OpenAI-compatible upstream and through airlock
// (every stage on: key auth, routing, scope authorization, quotas, token accounting, record).
//
//   node bench/proxy-overhead.ts [--duration 5] [--runs 3] [--modes json,sse] [--connections 1,64]
//                                [--profile DIR]   (V8 CPU profile of the gateway into DIR)
//                                [--trace]         (per-stage wall time from the gateway's spans)
//                                [--data-dir DIR]  (where the gateway's data folder, and so its
//                                                   audit log, lives; default the OS temp folder)
//
// Pinning (2-core machine): the upstream and the gateway share CPU 0 (so "through airlock" gets no
// extra core), wrk runs on CPU 1. Each case also runs through bench/bare-proxy.ts (node:http + undici
// passing raw bytes, pinned like the gateway): the price of one extra HTTP hop in Node.js on that
// core, so the gateway's governance cost can be read apart from the runtime's. The data folder's
// fdatasync latency is measured first: at one connection the answer waits for one audit commit (P9).
// Prints a JSON document and a markdown table for docs/BENCHMARKS.md.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  closeSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { stringify } from 'yaml';
import { type StageSpans, startStageSpans } from './stage-spans.ts';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    modes: { type: 'string', default: 'json,sse' },
    connections: { type: 'string', default: '1,64' },
    // Write a V8 CPU profile of the gateway (node --cpu-prof) into this folder.
    profile: { type: 'string' },
    // Turn on the gateway's OpenTelemetry tracing to a receiver in this process and print the wall
    // time of every pipeline stage (tracing itself costs a little; numbers are then not overhead).
    trace: { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
  },
});
const MODES = values.modes.split(',');
const CONNECTIONS = values.connections.split(',').map(Number);
const DURATION = Number(values.duration);
const RUNS = Number(values.runs);
const ROOT = new URL('../', import.meta.url).pathname;
const SERVER_CPU = '0';
const LOAD_CPU = cpus().length > 1 ? '1' : '0';

interface WrkResult {
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
  p50: number;
  p90: number;
  p99: number;
}

function startProcess(
  args: string[],
  ready: RegExp,
  cwd = ROOT,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => ready.test(l));
      if (line) resolve({ child, line });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${buf}`)));
  });
}

async function wrk(url: string, bodyFile: string, key: string, connections: number): Promise<WrkResult> {
  const { stdout } = await run(
    'taskset',
    [
      '-c',
      LOAD_CPU,
      'wrk',
      '-t1',
      `-c${connections}`,
      `-d${DURATION}s`,
      '--latency',
      '-s',
      join(ROOT, 'bench/post.lua'),
      url,
    ],
    { env: { ...process.env, BODY_FILE: bodyFile, KEY: key } },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('JSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  return JSON.parse(line.slice(5)) as WrkResult;
}

/** CPU seconds (user + system, all threads) a process has used so far: proc(5) stat fields 14 and 15.
 *  Unlike latency, CPU per request barely moves when other work shares the machine. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
}

/** A 2 KB prompt of ordinary prose, so DLP does the work it does on real traffic. */
const PROMPT =
  'Summarise the quarterly maintenance report for the pumping station and list the open actions. '
    .repeat(23)
    .slice(0, 2048);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** fdatasync latency of 4 KB overwrites in a preallocated file in `dir` (as a reused WAL sees it). */
function fdatasyncMicros(dir: string): { p50: number; p99: number } {
  const path = join(dir, 'fsync-probe');
  writeFileSync(path, Buffer.alloc(4096 * 200));
  const fd = openSync(path, 'r+');
  const page = Buffer.alloc(4096, 1);
  const us: number[] = [];
  try {
    fdatasyncSync(fd);
    for (let i = 0; i < 200; i++) {
      writeSync(fd, page, 0, page.length, i * 4096);
      const t = process.hrtime.bigint();
      fdatasyncSync(fd);
      us.push(Number(process.hrtime.bigint() - t) / 1000);
    }
  } finally {
    closeSync(fd);
    rmSync(path);
  }
  us.sort((a, b) => a - b);
  return { p50: Math.round(us[100]!), p99: Math.round(us[198]!) };
}

async function main() {
  const dir = mkdtempSync(join(values['data-dir'] ?? tmpdir(), 'airlock-bench-'));
  const fdatasyncUs = fdatasyncMicros(dir);
  process.stderr.write(`fdatasync in ${dir}: p50 ${fdatasyncUs.p50} µs, p99 ${fdatasyncUs.p99} µs\n`);
  const upstream = await startProcess(['bench/mock-upstream.ts', '--chunks', '20'], /"url"/);
  const upstreamUrl = JSON.parse(upstream.line).url as string;
  const bare = await startProcess(['bench/bare-proxy.ts', '--upstream', upstreamUrl], /"url"/);
  const bareUrl = JSON.parse(bare.line).url as string;
  const spans: StageSpans | undefined = values.trace ? await startStageSpans() : undefined;
  const configPath = join(dir, 'airlock.yaml');
  writeFileSync(
    configPath,
    stringify({
      version: 1,
      dataDir: '.',
      listeners: { client: { host: '127.0.0.1', port: 0 } },
      upstreams: [{ name: 'mock', kind: 'openai', baseUrl: upstreamUrl, health: { interval: '1h' } }],
      models: [{ alias: 'bench', targets: [{ upstream: 'mock', model: 'bench-upstream' }] }],
      quotas: {
        perKey: { requestsPerMinute: 100_000_000, concurrency: 1024, tokensPerDay: 1_000_000_000_000 },
      },
      // The mock serves no real weights custody could verify: the documented escape hatch.
      custody: { exempt: [{ upstream: 'mock', reason: 'benchmark mock upstream on loopback' }] },
      ...(spans ? { tracing: { endpoint: spans.url, interval: '200ms' } } : {}),
    }),
  );
  const { stdout } = await run(process.execPath, [
    join(ROOT, 'bin/airlock.js'),
    'keys',
    'create',
    '--config',
    configPath,
    '--owner',
    'bench',
    '--ttl',
    '1d',
    '--json',
  ]);
  const key = JSON.parse(stdout).key as string;
  const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const gateway = await startProcess(
    [...profile, 'bin/airlock.js', 'serve', '--config', configPath],
    /airlock ready/,
  );
  const gatewayUrl = JSON.parse(gateway.line).client as string;

  const bodies = {
    json: { model: 'bench', messages: [{ role: 'user', content: PROMPT }] },
    sse: { model: 'bench', stream: true, messages: [{ role: 'user', content: PROMPT }] },
  };
  const rows: Record<string, unknown>[] = [];
  try {
    for (const [mode, body] of Object.entries(bodies)) {
      if (!MODES.includes(mode)) continue;
      const bodyFile = join(dir, `${mode}.json`);
      writeFileSync(bodyFile, JSON.stringify(body));
      for (const connections of CONNECTIONS) {
        const direct: WrkResult[] = [];
        const bareRuns: WrkResult[] = [];
        const through: WrkResult[] = [];
        const gatewayCpuUs: number[] = [];
        await wrk(`${upstreamUrl}/v1/chat/completions`, bodyFile, '', connections); // warm-up
        await wrk(`${bareUrl}/v1/chat/completions`, bodyFile, '', connections);
        await wrk(`${gatewayUrl}/v1/chat/completions`, bodyFile, key, connections);
        spans?.reset();
        // Interleave the two targets so drift on a noisy machine hits both alike.
        for (let i = 0; i < RUNS; i++) {
          direct.push(await wrk(`${upstreamUrl}/v1/chat/completions`, bodyFile, '', connections));
          bareRuns.push(await wrk(`${bareUrl}/v1/chat/completions`, bodyFile, '', connections));
          const cpu0 = cpuSeconds(gateway.child.pid!);
          const r = await wrk(`${gatewayUrl}/v1/chat/completions`, bodyFile, key, connections);
          gatewayCpuUs.push(((cpuSeconds(gateway.child.pid!) - cpu0) / r.requests) * 1e6);
          through.push(r);
        }
        const failed = (rs: WrkResult[]) => rs.reduce((n, r) => n + r.errors + r.non2xx, 0);
        const rps = (rs: WrkResult[]) => median(rs.map((r) => r.requests / r.seconds));
        const row = {
          mode,
          connections,
          directP50ms: median(direct.map((r) => r.p50)),
          directP99ms: median(direct.map((r) => r.p99)),
          airlockP50ms: median(through.map((r) => r.p50)),
          airlockP99ms: median(through.map((r) => r.p99)),
          addedP50ms: median(through.map((r) => r.p50)) - median(direct.map((r) => r.p50)),
          addedP99ms: median(through.map((r) => r.p99)) - median(direct.map((r) => r.p99)),
          directRps: Math.round(rps(direct)),
          airlockRps: Math.round(rps(through)),
          rpsRatio: rps(through) / rps(direct),
          bareAddedP50ms: median(bareRuns.map((r) => r.p50)) - median(direct.map((r) => r.p50)),
          bareAddedP99ms: median(bareRuns.map((r) => r.p99)) - median(direct.map((r) => r.p99)),
          bareRps: Math.round(rps(bareRuns)),
          bareRatio: rps(bareRuns) / rps(direct),
          airlockToBareRatio: rps(through) / rps(bareRuns),
          // The gateway's own CPU per request (main and writer threads), the mock upstream excluded.
          gatewayCpuUsPerRequest: Math.round(median(gatewayCpuUs)),
          failedDirect: failed(direct) + failed(bareRuns),
          failedAirlock: failed(through),
        };
        rows.push(row);
        process.stderr.write(`${JSON.stringify(row)}\n`);
        if (spans) {
          await new Promise((r) => setTimeout(r, 500)); // the tracer's last export interval
          const stages = spans.summary();
          Object.assign(row, { stages });
          for (const st of stages)
            process.stderr.write(
              `  ${st.name.padEnd(26)} n=${st.count} p50 ${st.p50us} µs  p99 ${st.p99us} µs\n`,
            );
        }
      }
    }
  } finally {
    // Wait for the gateway's clean exit: that is when a --profile is written.
    const exited = new Promise((r) => gateway.child.once('exit', r));
    gateway.child.kill('SIGTERM');
    upstream.child.kill('SIGTERM');
    bare.child.kill('SIGTERM');
    await exited;
    await spans?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (n: unknown, d = 3) => (typeof n === 'number' ? n.toFixed(d) : String(n));
  const table = [
    '| mode | conns | direct p50 / p99 (ms) | airlock p50 / p99 (ms) | added p50 / p99 (ms) | bare proxy added p50 / p99 (ms) | direct rps | bare proxy rps (ratio) | airlock rps (ratio) | airlock / bare | gateway CPU µs/req |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.mode} | ${r.connections} | ${f(r.directP50ms)} / ${f(r.directP99ms)} | ${f(r.airlockP50ms)} / ${f(r.airlockP99ms)} | ${f(r.addedP50ms)} / ${f(r.addedP99ms)} | ${f(r.bareAddedP50ms)} / ${f(r.bareAddedP99ms)} | ${r.directRps} | ${r.bareRps} (${f(r.bareRatio, 2)}) | ${r.airlockRps} (${f(r.rpsRatio, 2)}) | ${f(r.airlockToBareRatio, 2)} | ${r.gatewayCpuUsPerRequest} |`,
    ),
  ].join('\n');
  process.stdout.write(
    `${JSON.stringify({ duration: DURATION, runs: RUNS, cpu: cpus()[0]?.model, fdatasyncUs, rows }, null, 2)}\n\n${table}\n`,
  );
}

await main();
