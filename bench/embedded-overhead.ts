// Tokens/s and time to first token of the embedded demo model, straight from its worker versus
// through the gateway (every stage on, audit log durable), measured alternately in one run.
//
//   node bench/embedded-overhead.ts [--runs 7] [--max-tokens 64] [--rounds 3]
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = new URL('../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/airlock.js');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    'max-tokens': { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-embedded-'));
const port = 20000 + Math.floor(Math.random() * 20000);
const init = JSON.parse(
  (await run(process.execPath, [BIN, 'init', '--data', dir, '--port', String(port), '--json'])).stdout,
);
const serve = spawn(process.execPath, [BIN, 'serve', '--config', init.config], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const workerUrl = await new Promise<string>((resolve, reject) => {
  let buf = '';
  let worker: string | undefined;
  serve.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (const line of buf.split('\n')) {
      const m = /"baseUrl":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(line);
      if (m) worker = m[1];
      if (line.includes('"msg":"airlock ready"') && worker) resolve(worker);
    }
  });
  serve.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
});

async function measure(
  url: string,
  key?: string,
): Promise<{ ttftMs: number; tokensPerSecond: number; totalMs: number }> {
  const args = [
    'bench/worker-tokens.ts',
    '--url',
    url,
    '--runs',
    values.runs!,
    '--max-tokens',
    values['max-tokens']!,
  ];
  if (key) args.push('--key', key);
  const { stdout } = await run(process.execPath, args, { cwd: ROOT });
  const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
    medianTtftMs: number;
    medianTokensPerSecond: number;
    medianTotalMs: number;
  };
  return {
    ttftMs: report.medianTtftMs,
    tokensPerSecond: report.medianTokensPerSecond,
    totalMs: report.medianTotalMs,
  };
}

const rows: { target: string; ttftMs: number; tokensPerSecond: number; totalMs: number }[] = [];
try {
  for (let i = 0; i < Number(values.rounds); i++) {
    rows.push({ target: 'worker', ...(await measure(`${workerUrl}/v1`)) });
    rows.push({ target: 'gateway', ...(await measure(`${init.url}/v1`, init.clientKey)) });
  }
} finally {
  serve.kill('SIGTERM');
  await new Promise((r) => serve.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const of = (t: string, k: 'ttftMs' | 'tokensPerSecond' | 'totalMs') =>
  median(rows.filter((r) => r.target === t).map((r) => r[k]));
const summary = {
  worker: {
    ttftMs: of('worker', 'ttftMs'),
    tokensPerSecond: of('worker', 'tokensPerSecond'),
    totalMs: of('worker', 'totalMs'),
  },
  gateway: {
    ttftMs: of('gateway', 'ttftMs'),
    tokensPerSecond: of('gateway', 'tokensPerSecond'),
    totalMs: of('gateway', 'totalMs'),
  },
};
process.stdout.write(`${JSON.stringify({ rows, summary }, null, 2)}\n`);
process.stdout.write(
  `\n| path | TTFT median (ms) | whole answer median (ms) | tokens/s median |\n|---|---|---|---|\n| worker direct | ${summary.worker.ttftMs.toFixed(2)} | ${summary.worker.totalMs.toFixed(1)} | ${summary.worker.tokensPerSecond.toFixed(0)} |\n| through airlock | ${summary.gateway.ttftMs.toFixed(2)} | ${summary.gateway.totalMs.toFixed(1)} | ${summary.gateway.tokensPerSecond.toFixed(0)} |\n`,
);
