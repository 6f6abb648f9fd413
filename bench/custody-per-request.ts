// What model custody adds per request (issue 9), measured on the real parts: the router's admission
// (`refusal`: inventory refresh + servable check), the per-version attribution (`versionOf`), and the
// measured adapter around a streamed answer (first-token timing, usage, one Prometheus sample and one
// in-memory aggregate update) compared with the same adapter unwrapped.
//   . scripts/node24.sh && node bench/custody-per-request.ts [--quick]
// Prints one JSON document and a markdown table (ns per operation, median of 5 rounds).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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

/** Median ns/op over 7 rounds; the candidates run interleaved round by round, so a busy machine
 *  slows them alike and their ratio stays meaningful. */
async function timeAll(n: number, cases: [string, () => unknown | Promise<unknown>][]) {
  const rounds = cases.map(() => [] as number[]);
  for (let r = 0; r < 7; r++)
    for (const [i, [, fn]] of cases.entries()) {
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < n; k++) await fn();
      rounds[i]!.push(Number(process.hrtime.bigint() - t0) / n);
    }
  return cases.map(([label], i) => {
    const sorted = rounds[i]!.sort((a, b) => a - b);
    return { label, nsPerOp: Math.round(sorted[3]!) };
  });
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
  // The inventory's per-request change check, as it was (db.pragma compiles each call) and as it is.
  const db = new Database(custodyDbPath(dir));
  const prepared = db.prepare('PRAGMA data_version').pluck();
  const rows = [
    ...(await timeAll(N, [
      ['PRAGMA data_version via db.pragma() (before)', () => db.pragma('data_version', { simple: true })],
      ['PRAGMA data_version, prepared (now)', () => prepared.get()],
      ['refusal (router admission, embedded)', () => runtime.refusal('embedded', 'demo')],
      ['versionOf (attribution)', () => runtime.versionOf('embedded', 'demo')],
    ])),
    ...(await timeAll(N / 10, [
      ['stream of 18 chunks, unwrapped adapter', () => drain(raw)],
      ['stream of 18 chunks, measured adapter', () => drain(measured)],
    ])),
  ];
  db.close();
  metrics.close();
  stats.close();
  runtime.close();
  const added = rows[5]!.nsPerOp - rows[4]!.nsPerOp;
  console.log(JSON.stringify({ node: process.version, rows, measuredAdapterAddsNs: added }, null, 2));
  console.log('\n| operation | ns/op |\n|---|---|');
  for (const r of rows) console.log(`| ${r.label} | ${r.nsPerOp} |`);
  console.log(`| measured adapter adds per streamed answer | ${added} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
