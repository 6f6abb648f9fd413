// One contract suite for every audit log driver (STYLE 11): the same cases run against SQLite and
// PostgreSQL, and neither is skipped — if PostgreSQL is unreachable its suite fails in `before`.
// Each case gets an empty database: a new SQLite file, or a new PostgreSQL schema (via search_path)
// inside one database created for this run.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { AirlockError } from '../../src/errors.ts';
import { decodeEntry } from '../../src/evidence/entry.ts';
import { leafHash } from '../../src/evidence/merkle/hash.ts';
import { referenceRoot } from '../../src/evidence/merkle/reference.ts';
import { verifyConsistency, verifyInclusion } from '../../src/evidence/merkle/verify.ts';
import { openCheckpoint } from '../../src/evidence/note/checkpoint.ts';
import { parseVkey } from '../../src/evidence/note/signed-note.ts';
import { signerFromSeed } from '../../src/evidence/note/signer-key.ts';
import { openPostgresAuditLog } from '../../src/evidence/postgres/audit-log.ts';
import { openSqliteAuditLog } from '../../src/evidence/sqlite/audit-log.ts';
import type { AuditEvent, AuditLog } from '../../src/evidence/types.ts';

const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const signer = signerFromSeed('airlock.test/audit', randomBytes(32));
const verifier = parseVkey(signer.vkey);

interface Fresh {
  open(opts?: { maxBatch?: number }): Promise<AuditLog>;
  /** Run raw SQL against the case's database, as an operator (or attacker) with access could. */
  exec(sql: string): Promise<void>;
}
interface Harness {
  readonly name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  fresh(): Promise<Fresh>;
}

function sqliteHarness(): Harness {
  let dir = '';
  let n = 0;
  return {
    name: 'sqlite',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'airlock-audit-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    async fresh() {
      const path = join(dir, `case-${++n}.db`);
      return {
        open: async (o) => openSqliteAuditLog({ path, signer, checkpointIntervalMs: 60_000, ...o }),
        async exec(sql) {
          const db = new Database(path);
          try {
            db.exec(sql);
          } finally {
            db.close();
          }
        },
      };
    },
  };
}

function postgresHarness(): Harness {
  const dbName = `airlock_audit_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = `postgres://postgres@127.0.0.1:5432/${dbName}`;
  let n = 0;
  return {
    name: 'postgres',
    async setup() {
      // CREATE DATABASE copies template1 and fails while another suite is copying it: retry that case.
      for (let attempt = 1; ; attempt++) {
        const admin = new pg.Client({ connectionString: PG_ADMIN });
        await admin.connect();
        try {
          await admin.query(`CREATE DATABASE ${dbName}`);
          return;
        } catch (err) {
          if (attempt >= 10 || !/being accessed by other users/.test(String(err))) throw err;
        } finally {
          await admin.end();
        }
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    },
    async teardown() {
      const admin = new pg.Client({ connectionString: PG_ADMIN });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    },
    async fresh() {
      const schema = `case_${++n}`;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`CREATE SCHEMA ${schema}`);
      await c.end();
      const caseUrl = `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      return {
        open: (o) => openPostgresAuditLog({ url: caseUrl, signer, checkpointIntervalMs: 60_000, ...o }),
        async exec(sql) {
          const client = new pg.Client({ connectionString: caseUrl });
          await client.connect();
          try {
            await client.query(sql);
          } finally {
            await client.end();
          }
        },
      };
    },
  };
}

const ev = (i: number, requestId?: string): AuditEvent => ({
  type: 'request.completed',
  outcome: 'allow',
  ...(requestId === undefined ? {} : { requestId }),
  detail: { i },
});

async function rootOf(log: AuditLog, size: number): Promise<Uint8Array> {
  const entries = await log.entries(0, size);
  return referenceRoot(entries.map((e) => leafHash(e.data)));
}

for (const harness of [sqliteHarness(), postgresHarness()]) {
  describe(`audit log contract: ${harness.name}`, () => {
    before(() => harness.setup());
    after(() => harness.teardown());

    it('append: resolves with dense indices; entries read back as canonical JSON', async () => {
      const log = await (await harness.fresh()).open();
      try {
        assert.deepEqual(await log.append(ev(0)), { index: 0 });
        assert.deepEqual(await log.append(ev(1)), { index: 1 });
        assert.equal(await log.size(), 2);
        const got = await log.entries(0, 2);
        assert.deepEqual(
          got.map((e) => e.index),
          [0, 1],
        );
        const { entry, canonical } = decodeEntry(got[1]!.data);
        assert.ok(canonical);
        assert.equal(entry.index, 1);
        assert.deepEqual(entry.detail, { i: 1 });
      } finally {
        await log.close();
      }
    });

    it('group commit: 600 concurrent appends get unique dense indices in one consistent tree', async () => {
      const log = await (await harness.fresh()).open({ maxBatch: 64 });
      try {
        const res = await Promise.all(Array.from({ length: 600 }, (_, i) => log.append(ev(i))));
        assert.deepEqual(
          res.map((r) => r.index).sort((a, b) => a - b),
          Array.from({ length: 600 }, (_, i) => i),
        );
        const entries = await log.entries(0, 600);
        for (const [i, e] of entries.entries()) assert.equal(decodeEntry(e.data).entry.index, i);
        const cp = await log.publishCheckpoint();
        assert.equal(cp.size, 600);
        assert.deepEqual(Buffer.from(cp.root), Buffer.from(await rootOf(log, 600)));
      } finally {
        await log.close();
      }
    });

    it('appendMany: consecutive indices in one commit', async () => {
      const log = await (await harness.fresh()).open();
      try {
        await log.append(ev(0));
        assert.deepEqual(await log.appendMany([ev(1), ev(2), ev(3)]), { first: 1, count: 3 });
        assert.equal(await log.size(), 4);
      } finally {
        await log.close();
      }
    });

    it('checkpoint: a C2SP signed note over the tree that verifies with the public key', async () => {
      const log = await (await harness.fresh()).open();
      try {
        assert.equal(await log.checkpoint(), null);
        await log.appendMany(Array.from({ length: 5 }, (_, i) => ev(i)));
        const cp = await log.publishCheckpoint();
        const opened = openCheckpoint(cp.note, verifier);
        assert.ok(opened.ok, opened.ok ? '' : opened.reason);
        assert.equal(opened.checkpoint.size, 5);
        assert.deepEqual(Buffer.from(opened.checkpoint.root), Buffer.from(await rootOf(log, 5)));
        assert.equal((await log.checkpoint())?.size, 5);
      } finally {
        await log.close();
      }
    });

    it('proofs: every inclusion proof and the consistency proof between checkpoints verify', async () => {
      const log = await (await harness.fresh()).open({ maxBatch: 7 });
      try {
        await Promise.all(Array.from({ length: 13 }, (_, i) => log.append(ev(i))));
        const cp1 = await log.publishCheckpoint();
        await Promise.all(Array.from({ length: 38 }, (_, i) => log.append(ev(100 + i))));
        const cp2 = await log.publishCheckpoint();
        const entries = await log.entries(0, cp2.size);
        for (const e of entries) {
          const proof = await log.inclusionProof(e.index, cp2.size);
          assert.ok(
            verifyInclusion(e.index, cp2.size, leafHash(e.data), proof, cp2.root).ok,
            `leaf ${e.index}`,
          );
        }
        const cproof = await log.consistencyProof(cp1.size, cp2.size);
        assert.ok(verifyConsistency(cp1.size, cp2.size, cproof, cp1.root, cp2.root).ok);
        assert.deepEqual(
          (await log.checkpoints()).map((c) => c.size),
          [13, 51],
        );
        await assert.rejects(log.inclusionProof(0, 52), RangeError);
      } finally {
        await log.close();
      }
    });

    it('nodes: every stored node whose first leaf is in [from, to), each exactly once across chunks', async () => {
      const log = await (await harness.fresh()).open();
      try {
        await log.appendMany(Array.from({ length: 21 }, (_, i) => ev(i)));
        const all = await log.nodes(0, 21);
        const chunked = [
          ...(await log.nodes(0, 8)),
          ...(await log.nodes(8, 13)),
          ...(await log.nodes(13, 21)),
        ];
        const key = (x: { level: number; index: number }) => `${x.level}/${x.index}`;
        assert.equal(all.length, 21 + 10 + 5 + 2 + 1);
        assert.deepEqual(chunked.map(key).sort(), all.map(key).sort());
      } finally {
        await log.close();
      }
    });

    it('trace: entriesByRequest returns one request in index order', async () => {
      const log = await (await harness.fresh()).open();
      try {
        await Promise.all([ev(0, 'a'), ev(1, 'b'), ev(2, 'a'), ev(3), ev(4, 'a')].map((e) => log.append(e)));
        const got = await log.entriesByRequest('a');
        assert.deepEqual(
          got.map((e) => decodeEntry(e.data).entry.detail['i']),
          [0, 2, 4],
        );
      } finally {
        await log.close();
      }
    });

    it('a malformed event rejects alone and does not fail the batch it would have joined', async () => {
      const log = await (await harness.fresh()).open();
      try {
        const results = await Promise.allSettled([
          log.append(ev(0)),
          log.append({ type: 'usage', outcome: 'info', detail: { bad: Number.POSITIVE_INFINITY } }),
          log.append(ev(2)),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          ['fulfilled', 'rejected', 'fulfilled'],
        );
        assert.equal(await log.size(), 2);
      } finally {
        await log.close();
      }
    });

    it('two writers on one database (replicas) never fork the tree', async () => {
      const db = await harness.fresh();
      const a = await db.open();
      const b = await db.open();
      try {
        const all = await Promise.all(
          Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? b : a).append(ev(i))),
        );
        assert.deepEqual(
          all.map((r) => r.index).sort((x, y) => x - y),
          Array.from({ length: 120 }, (_, i) => i),
        );
        const cpA = await a.publishCheckpoint();
        const cpB = await b.publishCheckpoint();
        assert.equal(cpA.size, 120);
        assert.deepEqual(Buffer.from(cpA.root), Buffer.from(cpB.root));
        assert.deepEqual(Buffer.from(cpA.root), Buffer.from(await rootOf(a, 120)));
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('held append: durable alone after its hold, or in call order with the append that ends it', async () => {
      const log = await (await harness.fresh()).open();
      let closed = false;
      try {
        assert.deepEqual(await log.append(ev(0, 'a'), { holdMs: 3 }), { index: 0 });
        const held = log.append(ev(1, 'b'), { holdMs: 900 });
        const next = log.append(ev(2, 'b'));
        assert.deepEqual(await Promise.all([held, next]), [{ index: 1 }, { index: 2 }]);
        assert.deepEqual(
          (await log.entriesByRequest('b')).map((e) => decodeEntry(e.data).entry.detail['i']),
          [1, 2],
        );
        // close() commits a held append without waiting out its hold.
        const last = log.append(ev(3), { holdMs: 900 });
        closed = true;
        await log.close();
        assert.deepEqual(await last, { index: 3 });
      } finally {
        if (!closed) await log.close();
      }
    });

    it('close: drains accepted appends, stores a final checkpoint, then refuses appends', async () => {
      const db = await harness.fresh();
      const log = await db.open();
      const pending = Array.from({ length: 50 }, (_, i) => log.append(ev(i)));
      await log.close();
      assert.equal((await Promise.all(pending)).length, 50);
      await assert.rejects(
        log.append(ev(99)),
        (e: unknown) => e instanceof AirlockError && e.code === 'audit_unavailable',
      );
      assert.equal(log.health().ok, false);
      const again = await db.open();
      try {
        assert.equal((await again.checkpoint())?.size, 50);
        assert.deepEqual(await again.append(ev(50)), { index: 50 });
      } finally {
        await again.close();
      }
    });

    it('store: refuses updates, deletes, a second root for a size and a checkpoint beyond the tree', async () => {
      const db = await harness.fresh();
      const log = await db.open();
      await log.append(ev(0));
      await log.publishCheckpoint();
      await log.close();
      await assert.rejects(db.exec('UPDATE audit_entries SET data = data'), /append-only/);
      await assert.rejects(db.exec('DELETE FROM audit_nodes'), /append-only/);
      const zeros = '00'.repeat(32);
      const other = harness.name === 'sqlite' ? `x'${zeros}'` : `'\\x${zeros}'`;
      await assert.rejects(
        db.exec(
          `INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES (1, ${other}, 'n', '2026-01-01')`,
        ),
      );
      await assert.rejects(
        db.exec(
          `INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES (9, ${other}, 'n', '2026-01-01')`,
        ),
        /do not exist/,
      );
    });
  });
}
