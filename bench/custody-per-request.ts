// What model custody adds per request (issue 9), measured on the real parts: the router's admission
// (`refusal`: inventory refresh + servable check), the per-version attribution (`versionOf`), and the
// measured adapter around a streamed answer (first-token timing, usage, one Prometheus sample and one
// in-memory aggregate update) compared with the same adapter unwrapped.
//   . scripts/node24.sh && node bench/custody-per-request.ts [--quick]
// Prints one JSON document and a markdown table (ns per operation, median of 5 rounds).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { custodyConfigSchema } from '../src/custody/config.ts';
import { importModel } from '../src/custody/import.ts';
import { measureAdapter } from '../src/custody/measured-adapter.ts';
import { custodyDbPath, openCustody } from '../src/custody/open.ts';
import { createCustodyRuntime } from '../src/custody/runtime.ts';
import { writeBundle } from '../src/custody/test-fixtures.ts';
import { createVersionMetrics } from '../src/custody/version-metrics.ts';
import { openSqliteVersionStats } from '../src/custody/version-stats-sqlite.ts';
import type { UpstreamAdapter, UpstreamCall } from '../src/inference/types.ts';

const quick = process.argv.includes('--quick');
const N = quick ? 20_000 : 200_000;
const dir = mkdtempSync(join(tmpdir(), 'airlock-custody-bench-'));

async function timeIt(label: string, n: number, fn: () => unknown | Promise<unknown>) {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    rounds.push(Number(process.hrtime.bigint() - t0) / n);
  }
  rounds.sort((a, b) => a - b);
  return { label, nsPerOp: Math.round(rounds[2]!) };
}

try {
  const config = custodyConfigSchema.parse({ allowUnsigned: true, twoPerson: false });
  const opened = openCustody(dir, config);
  const v = await importModel(
    { path: writeBundle(join(dir, 'media'), { name: 'demo', version: '1' }), actor: 'bench' },
    { dataDir: dir, inventory: opened.inventory, trustedKeys: [], allowUnsigned: true },
  );
  opened.inventory.transition(v.id, 'approved', { actor: 'bench' });
  opened.close();
  const runtime = createCustodyRuntime(config, {
    dataDir: dir,
    upstreams: [{ name: 'embedded', kind: 'embedded' } as never],
  });
  await runtime.beforeWorkerLoad('embedded', join(dir, 'media', 'model.gguf'));

  const chunks = [
    { choices: [{ delta: { role: 'assistant' } }] },
    ...Array.from({ length: 16 }, () => ({ choices: [{ delta: { content: 'tok ' } }] })),
    { choices: [], usage: { completion_tokens: 16 } },
  ];
  const raw: UpstreamAdapter = {
    name: 'embedded',
    kind: 'embedded',
    async call() {
      return {
        kind: 'stream',
        status: 200,
        chunks: (async function* () {
          yield* chunks;
        })(),
      };
    },
    checkHealth: async () => true,
    close: async () => {},
  };
  const stats = openSqliteVersionStats(custodyDbPath(dir));
  const metrics = createVersionMetrics({ registry: new Registry(), store: stats });
  const measured = measureAdapter(raw, { metrics, versionOf: runtime.versionOf });
  const call: UpstreamCall = {
    endpoint: 'chat',
    body: { model: 'demo' },
    stream: true,
    headers: {},
    signal: new AbortController().signal,
  };
  const drain = async (a: UpstreamAdapter) => {
    const r = await a.call(call);
    if (r.kind === 'stream') for await (const _ of r.chunks);
  };
  const rows = [
    await timeIt('refusal (router admission, embedded)', N, () => runtime.refusal('embedded', 'demo')),
    await timeIt('versionOf (attribution)', N, () => runtime.versionOf('embedded', 'demo')),
    await timeIt('stream of 18 chunks, unwrapped adapter', N / 10, () => drain(raw)),
    await timeIt('stream of 18 chunks, measured adapter', N / 10, () => drain(measured)),
  ];
  metrics.close();
  stats.close();
  runtime.close();
  const added = rows[3]!.nsPerOp - rows[2]!.nsPerOp;
  console.log(JSON.stringify({ node: process.version, rows, measuredAdapterAddsNs: added }, null, 2));
  console.log('\n| operation | ns/op |\n|---|---|');
  for (const r of rows) console.log(`| ${r.label} | ${r.nsPerOp} |`);
  console.log(`| measured adapter adds per streamed answer | ${added} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
