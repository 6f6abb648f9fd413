import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { pendingFramesFromWalIndex, readPendingFrames, shouldCheckpoint } from './wal-backlog.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-walbacklog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('WAL backlog: read from the -shm header, it counts committed frames and drops to 0 after a checkpoint', () => {
  const path = join(dir, 'backlog.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (v TEXT)');
  const afterCreate = readPendingFrames(path);
  assert.ok(afterCreate !== undefined && afterCreate > 0);
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < 50; i++) insert.run('x'.repeat(3000)); // about a page per row
  const pending = readPendingFrames(path)!;
  assert.ok(pending >= afterCreate + 50, `${pending} frames wait`);
  // What SQLite itself reports as the WAL's size agrees with the header.
  const r = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
  assert.equal(r[0]!.log, pending);
  assert.equal(readPendingFrames(path), 0);
  db.close();
});

test('WAL backlog: no -shm file or an inconsistent header is unknown, not zero', () => {
  assert.equal(readPendingFrames(join(dir, 'missing.db')), undefined);
  const shm = new Uint8Array(Buffer.alloc(104));
  assert.equal(pendingFramesFromWalIndex(shm), undefined, 'all zero: not initialised');
  assert.equal(pendingFramesFromWalIndex(shm.subarray(0, 50)), undefined, 'short');
});

test('WAL backlog: header copies that differ (being rewritten) are unknown', () => {
  const buf = Buffer.alloc(104);
  const put = (at: number) => {
    buf.writeUInt32LE(3007000, at);
    buf[at + 12] = 1;
    buf.writeUInt32LE(40, at + 16);
  };
  put(0);
  put(48);
  buf.writeUInt32LE(10, 96);
  if (endianness() === 'LE') assert.equal(pendingFramesFromWalIndex(buf), 30);
  buf.writeUInt32LE(41, 48 + 16);
  assert.equal(pendingFramesFromWalIndex(buf), undefined);
});

test('checkpoint pacing: enough frames, or a smaller backlog after the longest wait; unknown checkpoints', () => {
  const pacing = { minFrames: 1000, maxWaitMs: 5000 };
  assert.equal(shouldCheckpoint(0, 60_000, pacing), false, 'nothing to fold');
  assert.equal(shouldCheckpoint(999, 4999, pacing), false);
  assert.equal(shouldCheckpoint(1000, 0, pacing), true);
  assert.equal(shouldCheckpoint(1, 5000, pacing), true);
  assert.equal(shouldCheckpoint(undefined, 0, pacing), true);
});
