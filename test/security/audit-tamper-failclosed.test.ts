// Fail closed (P9, STYLE 9): when the audit store cannot be written, appends reject with
// audit_unavailable, nothing of the failed batch is stored, health() says why in one line, and the
// log recovers only after a probe write succeeds. Also: a writer killed with SIGKILL loses no entry
// whose append had resolved, and no stored checkpoint covers an entry that does not exist.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { AirlockError } from '../../src/errors.ts';
import { exportAuditBundle } from '../../src/evidence/bundle/export.ts';
import { verifyAuditBundle } from '../../src/evidence/bundle/verify.ts';
import { loadOrCreateSignerKey, signerFromSeed } from '../../src/evidence/note/signer-key.ts';
import { openPostgresAuditLog } from '../../src/evidence/postgres/audit-log.ts';
import { openSqliteAuditLog } from '../../src/evidence/sqlite/audit-log.ts';
import type { AuditEvent } from '../../src/evidence/types.ts';

const signer = signerFromSeed('airlock.test/audit', randomBytes(32));
const ev: AuditEvent = { type: 'auth.failure', outcome: 'deny', code: 'invalid_api_key' };
const isUnavailable = (e: unknown) => e instanceof AirlockError && e.code === 'audit_unavailable';
const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-failclosed-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('audit fail closed: sqlite', () => {
  it('store locked by another writer → audit_unavailable, nothing half-written, recovery after probe', async () => {
    const path = join(dir, 'locked.db');
    const log = openSqliteAuditLog({ path, signer, busyTimeoutMs: 20, probeIntervalMs: 0 });
    await log.append(ev);
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    const results = await Promise.allSettled([log.append(ev), log.append(ev), log.appendMany([ev, ev])]);
    assert.ok(results.every((r) => r.status === 'rejected' && isUnavailable(r.reason)));
    const h = log.health();
    assert.equal(h.ok, false);
    assert.match(h.reason ?? '', /locked|busy/i);
    assert.doesNotMatch(h.reason ?? '', /\n/);
    // Still locked: the probe fails, so appends keep failing fast.
    await assert.rejects(log.append(ev), isUnavailable);
    other.exec('COMMIT');
    other.close();
    assert.deepEqual(await log.append(ev), { index: 1 });
    assert.equal(log.health().ok, true);
    assert.equal(await log.size(), 2);
    await log.close();
  });

  it('probes are rate limited: while failed, appends between probes fail without touching the store', async () => {
    const path = join(dir, 'ratelimited.db');
    const log = openSqliteAuditLog({ path, signer, busyTimeoutMs: 20, probeIntervalMs: 3_600_000 });
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    await assert.rejects(log.append(ev), isUnavailable);
    other.exec('COMMIT');
    other.close();
    await assert.rejects(log.append(ev), isUnavailable);
    assert.equal(await log.size(), 0);
    await log.close();
  });
});

describe('audit fail closed: postgres', () => {
  const dbName = `airlock_audit_fc_${process.pid}_${randomBytes(3).toString('hex')}`;
  const url = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: PG_ADMIN });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  // CREATE DATABASE copies template1 and fails while another suite is copying it: retry that case.
  before(async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await admin(`CREATE DATABASE ${dbName}`);
      } catch (err) {
        if (attempt >= 10 || !/being accessed by other users/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  });
  after(() => admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));

  it('database down mid-run → audit_unavailable with a reason, then recovery once it is back', async () => {
    const log = await openPostgresAuditLog({ url, signer, probeIntervalMs: 0 });
    await log.append(ev);
    // "Down": existing sessions killed and new ones refused.
    await admin(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}'`);
    await assert.rejects(log.append(ev), isUnavailable);
    await assert.rejects(log.append(ev), isUnavailable);
    assert.equal(log.health().ok, false);
    assert.match(log.health().reason ?? '', /connections/);
    await admin(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
    // The pool reconnects: the probe succeeds and appends flow again, with no gap in the indices.
    assert.deepEqual(await log.append(ev), { index: 1 });
    assert.equal(log.health().ok, true);
    await log.close();
  });

  it('pool closed mid-run → every later append rejects and health reports why', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => {});
    const log = await openPostgresAuditLog({ pool, signer, probeIntervalMs: 0 });
    await log.append(ev);
    await pool.end();
    await assert.rejects(log.append(ev), isUnavailable);
    await assert.rejects(log.append(ev), isUnavailable);
    const h = log.health();
    assert.equal(h.ok, false);
    assert.match(h.reason ?? '', /pool/i);
  });
});

describe('audit crash safety', () => {
  it('SIGKILL under load: every resolved append survives; checkpoints cover only existing entries', async () => {
    const path = join(dir, 'crash.db');
    const keyPath = join(dir, 'secrets', 'audit-signing.key');
    const crashSigner = loadOrCreateSignerKey(keyPath, 'airlock.test/crash');
    const module = new URL('../../src/evidence/', import.meta.url).href;
    // The child appends 64 at a time forever, printing each index once its append resolved.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { openSqliteAuditLog } from '${module}sqlite/audit-log.ts';
         import { loadOrCreateSignerKey } from '${module}note/signer-key.ts';
         const log = openSqliteAuditLog({ path: ${JSON.stringify(path)}, checkpointIntervalMs: 0, maxBatch: 32,
           signer: loadOrCreateSignerKey(${JSON.stringify(keyPath)}, 'airlock.test/crash') });
         for (;;) {
           const rs = await Promise.all(Array.from({ length: 64 }, () => log.append({ type: 'usage', outcome: 'info' })));
           process.stdout.write(rs.map((r) => r.index).join('\\n') + '\\n');
         }`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const acked: number[] = [];
    let buf = '';
    await new Promise<void>((resolve) => {
      // A child that dies on its own ends the wait too (and fails the size check below).
      child.once('close', () => resolve());
      child.stdout.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) acked.push(Number(l));
        if (acked.length >= 2000 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    if (child.exitCode === null && child.signalCode === null)
      await new Promise((r) => child.once('close', r));
    assert.ok(acked.length >= 2000, `the writer exited after ${acked.length} acknowledged appends`);
    const log = openSqliteAuditLog({ path, signer: crashSigner });
    try {
      const size = await log.size();
      assert.ok(size > Math.max(...acked), `size ${size} misses an acknowledged entry`);
      for (const cp of await log.checkpoints()) assert.ok(cp.size <= size);
      const out = join(dir, 'crash-bundle');
      await exportAuditBundle(log, out, { origin: crashSigner.name, vkey: crashSigner.vkey });
      const report = verifyAuditBundle(out, { publicKey: crashSigner.vkey });
      assert.equal(report.ok, true, JSON.stringify(report.problems.slice(0, 3)));
    } finally {
      await log.close();
    }
  });
});
