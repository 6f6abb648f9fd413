// Attack suite for P9: someone with write access to the audit database (or the exported bundle) edits
// history. Each case tampers, exports, verifies offline, and expects the verifier to fail and to name
// the first divergent entry index (or the forged checkpoint).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { exportAuditBundle } from '../../src/evidence/bundle/export.ts';
import { checkpointFile } from '../../src/evidence/bundle/format.ts';
import { verifyAuditBundle } from '../../src/evidence/bundle/verify.ts';
import { signCheckpoint } from '../../src/evidence/note/checkpoint.ts';
import { signerFromSeed } from '../../src/evidence/note/signer-key.ts';
import { openSqliteAuditLog } from '../../src/evidence/sqlite/audit-log.ts';

const signer = signerFromSeed('airlock.test/audit', randomBytes(32));
const N = 40;
let root = '';
let n = 0;

/** A log of 40 entries with checkpoints at 10, 25 and 40; returns its database path. */
async function freshLog(): Promise<string> {
  const path = join(root, `case-${++n}.db`);
  const log = openSqliteAuditLog({ path, signer, checkpointIntervalMs: 3_600_000 });
  for (const [from, to] of [
    [0, 10],
    [10, 25],
    [25, N],
  ] as const) {
    await Promise.all(
      Array.from({ length: to - from }, (_, i) =>
        log.append({
          type: 'authz.decision',
          outcome: 'allow',
          requestId: `r${from + i}`,
          detail: { n: from + i },
        }),
      ),
    );
    await log.publishCheckpoint();
  }
  await log.close();
  return path;
}

/** Raw SQL as an attacker with the file: drop the append-only triggers, then edit. */
function tamper(path: string, sql: string): void {
  const db = new Database(path);
  for (const t of ['entries_no_update', 'entries_no_delete', 'nodes_no_update', 'nodes_no_delete']) {
    db.exec(`DROP TRIGGER IF EXISTS audit_${t}`);
  }
  db.exec('DROP TRIGGER IF EXISTS audit_checkpoints_no_update');
  db.exec(sql);
  db.close();
}

async function exportOf(path: string): Promise<string> {
  const out = join(root, `bundle-${++n}`);
  const log = openSqliteAuditLog({ path, signer });
  try {
    await exportAuditBundle(log, out, { origin: signer.name, vkey: signer.vkey });
  } finally {
    await log.close();
  }
  return out;
}

const verify = (dir: string) => verifyAuditBundle(dir, { publicKey: signer.vkey });

describe('audit tamper evidence', () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'airlock-tamper-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('untouched log → verifies, every checkpoint checked', async () => {
    const r = verify(await exportOf(await freshLog()));
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.entries, N);
    assert.equal(r.verifiedCheckpoints, 3);
    assert.equal(r.firstDivergentIndex, null);
  });

  it('a flipped byte in entry 17 → fails naming index 17', async () => {
    const path = await freshLog();
    tamper(
      path,
      `UPDATE audit_entries SET data = CAST(replace(CAST(data AS TEXT), '"n":17', '"n":71') AS BLOB) WHERE idx = 17`,
    );
    const r = verify(await exportOf(path));
    assert.equal(r.ok, false);
    assert.equal(r.firstDivergentIndex, 17);
  });

  it('an entry rewritten together with its stored leaf hash → still caught, at its pair (16)', async () => {
    const path = await freshLog();
    tamper(
      path,
      `UPDATE audit_entries SET data = CAST(replace(CAST(data AS TEXT), '"n":17', '"n":71') AS BLOB) WHERE idx = 17`,
    );
    const db = new Database(path);
    const data = db.prepare('SELECT data FROM audit_entries WHERE idx = 17').pluck().get() as Buffer;
    db.close();
    const { leafHash } = await import('../../src/evidence/merkle/hash.ts');
    tamper(
      path,
      `UPDATE audit_nodes SET hash = x'${Buffer.from(leafHash(data)).toString('hex')}' WHERE level = 0 AND idx = 17`,
    );
    const r = verify(await exportOf(path));
    assert.equal(r.ok, false);
    assert.equal(r.firstDivergentIndex, 16);
  });

  it('a flipped byte in stored leaf node 23 → fails naming index 23', async () => {
    const path = await freshLog();
    tamper(path, `UPDATE audit_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 23`);
    const r = verify(await exportOf(path));
    assert.equal(r.ok, false);
    assert.equal(r.firstDivergentIndex, 23);
  });

  it('a changed interior node (level 2, index 3) → fails naming its first entry, 12', async () => {
    const path = await freshLog();
    tamper(path, `UPDATE audit_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 3`);
    const r = verify(await exportOf(path));
    assert.equal(r.ok, false);
    assert.equal(r.firstDivergentIndex, 12);
    assert.deepEqual(r.problems[0]?.node, { level: 2, index: 3 });
  });

  it('a deleted entry row (30) → fails naming index 30', async () => {
    const path = await freshLog();
    tamper(path, 'DELETE FROM audit_entries WHERE idx = 30');
    const r = verify(await exportOf(path));
    assert.equal(r.ok, false);
    assert.equal(r.firstDivergentIndex, 30);
  });

  it('reordered rows (5 and 9 swapped) → fails naming index 5', async () => {
    const path = await freshLog();
    tamper(
      path,
      `UPDATE audit_entries SET idx = -1 WHERE idx = 5;
       UPDATE audit_entries SET idx = 5 WHERE idx = 9;
       UPDATE audit_entries SET idx = 9 WHERE idx = -1;`,
    );
    const r = verify(await exportOf(path));
    assert.equal(r.ok, false);
    assert.equal(r.firstDivergentIndex, 5);
  });

  it('a checkpoint replaced by one from another key → fails naming checkpoint 25', async () => {
    const dir = await exportOf(await freshLog());
    const forger = signerFromSeed('airlock.test/audit', randomBytes(32));
    writeFileSync(
      join(dir, 'checkpoints', checkpointFile(25)),
      signCheckpoint(forger, 25, randomBytes(32)).note,
    );
    const r = verify(dir);
    assert.equal(r.ok, false);
    assert.ok(r.problems.some((p) => p.checkpointSize === 25 && /signature/.test(p.message)));
  });

  it('a checkpoint re-signed with the real key over another root → fails: divergence after the last good one (10)', async () => {
    const path = await freshLog();
    tamper(
      path,
      `UPDATE audit_checkpoints SET note = '${signCheckpoint(signer, 25, randomBytes(32)).note}' WHERE size = 25`,
    );
    const r = verify(await exportOf(path));
    assert.equal(r.ok, false);
    assert.equal(r.firstDivergentIndex, 10);
    assert.ok(r.problems.some((p) => p.checkpointSize === 25));
  });

  it('an edited line in the exported bundle (entry 3) → fails naming index 3', async () => {
    const dir = await exportOf(await freshLog());
    const file = join(dir, 'entries.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"n":3}', '"n":4}'));
    const r = verify(dir);
    assert.equal(r.ok, false);
    assert.equal(r.firstDivergentIndex, 3);
  });

  it('a bundle verified with the wrong trusted key → fails on every checkpoint', async () => {
    const dir = await exportOf(await freshLog());
    const other = signerFromSeed('airlock.test/audit', randomBytes(32));
    const r = verifyAuditBundle(dir, { publicKey: other.vkey });
    assert.equal(r.ok, false);
    assert.equal(r.verifiedCheckpoints, 0);
  });
});
