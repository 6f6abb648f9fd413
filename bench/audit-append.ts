// Durable audit appends per second (an append resolves only after its group commit is on disk).
// SQLite and PostgreSQL at group-commit sizes 1, 16, 64 and 256, with the main thread's CPU time per
// append (process.threadCpuUsage: the SQLite writer thread's encoding, hashing and fsync excluded,
// which is the point: that is time the gateway's event loop gets back).
//   . scripts/node24.sh && node bench/audit-append.ts [--quick]
// Prints one JSON document and a markdown table. PostgreSQL runs against 127.0.0.1:5432 (trust auth)
// in a database it creates and drops; set AUDIT_BENCH_PG=0 to skip it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { signerFromSeed } from '../src/evidence/note/signer-key.ts';
import { openPostgresAuditLog } from '../src/evidence/postgres/audit-log.ts';
import { openSqliteAuditLog } from '../src/evidence/sqlite/audit-log.ts';
import type { AuditEvent, AuditLog } from '../src/evidence/types.ts';

const quick = process.argv.includes('--quick');
const signer = signerFromSeed('bench.airlock/audit', randomBytes(32));
const event: AuditEvent = {
  type: 'request.completed',
  outcome: 'allow',
  requestId: 'req_0123456789abcdef',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  principal: { kind: 'apikey', id: 'team-a', credentialId: 'key_01HZX' },
  detail: { model: 'llama-3.1-8b', status: 200, tokensIn: 512, tokensOut: 128, latencyMs: 412, findings: [] },
};

interface Row {
  driver: string;
  maxBatch: number;
  entries: number;
  seconds: number;
  entriesPerSecond: number;
  /** Main-thread CPU (user + system) per append, µs. */
  mainCpuUsPerAppend: number;
}

async function run(driver: string, maxBatch: number, total: number, log: AuditLog): Promise<Row> {
  const concurrency = Math.max(4 * maxBatch, 8);
  let issued = 0;
  const worker = async () => {
    while (issued < total) {
      issued++;
      await log.append(event);
    }
  };
  await log.append(event); // warm: the SQLite writer thread has started
  const cpu0 = process.threadCpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.threadCpuUsage(cpu0);
  await log.close();
  return {
    driver,
    maxBatch,
    entries: total,
    seconds,
    entriesPerSecond: Math.round(total / seconds),
    mainCpuUsPerAppend: Math.round(((cpu.user + cpu.system) / total) * 10) / 10,
  };
}

const rows: Row[] = [];
const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-audit-'));
try {
  for (const maxBatch of [1, 16, 64, 256]) {
    const total = quick ? Math.min(2000, maxBatch * 200) : maxBatch === 1 ? 3000 : maxBatch * 1000;
    const log = openSqliteAuditLog({ path: join(dir, `b${maxBatch}.db`), signer, maxBatch });
    rows.push(await run('sqlite', maxBatch, total, log));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (process.env['AUDIT_BENCH_PG'] !== '0') {
  const name = `airlock_bench_audit_${process.pid}`;
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    for (const maxBatch of [1, 16, 64, 256]) {
      const schema = `b${maxBatch}`;
      const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${name}` });
      await c.connect();
      await c.query(`CREATE SCHEMA ${schema}`);
      await c.end();
      const url = `postgres://postgres@127.0.0.1:5432/${name}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const log = await openPostgresAuditLog({ url, signer, maxBatch });
      const total = quick ? Math.min(2000, maxBatch * 200) : maxBatch === 1 ? 3000 : maxBatch * 200;
      rows.push(await run('postgres', maxBatch, total, log));
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

process.stdout.write(
  `${JSON.stringify({ bench: 'audit-append', node: process.version, rows }, null, 2)}\n\n`,
);
process.stdout.write(
  '| driver | group commit (max batch) | entries | seconds | durable entries/s | main-thread CPU µs/append |\n|---|---|---|---|---|---|\n',
);
for (const r of rows) {
  process.stdout.write(
    `| ${r.driver} | ${r.maxBatch} | ${r.entries} | ${r.seconds.toFixed(2)} | ${r.entriesPerSecond} | ${r.mainCpuUsPerAppend} |\n`,
  );
}
