// SQLite driver of the audit log: its own database file, WAL, synchronous=FULL. Writes happen in a
// dedicated writer thread (writer.ts): the main thread's sequencer keeps batching appends while the
// thread commits the previous batch, so an fsync never blocks the event loop and everything queued
// meanwhile joins the next group commit. The main thread keeps a query-only connection for reads
// (size, entries, proofs, export); WAL lets it read while the writer commits.
import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Component, NodeId } from '../merkle/plan.ts';
import { assemble, consistencyPlan, inclusionPlan } from '../merkle/plan.ts';
import { signerPrivateKey } from '../note/signer-key.ts';
import type { CommitOutcome } from '../sequencer.ts';
import { createSequencer } from '../sequencer.ts';
import type { AuditLog, Checkpoint, LoggedEntry, NoteSigner } from '../types.ts';
import { migrateSqlite } from './migrations.ts';
import { startWalCheckpointer, startWriterThread } from './writer-thread.ts';

export interface SqliteAuditLogOptions {
  readonly path: string;
  readonly signer: NoteSigner;
  /** Most entries in one group commit. */
  readonly maxBatch?: number;
  /** Sign a checkpoint with the first commit after this many ms (and after a quiet interval). */
  readonly checkpointIntervalMs?: number;
  /** While failed, probe the store at most this often; appends in between fail fast. */
  readonly probeIntervalMs?: number;
  /** Leaves of each durable commit, for exports (see SequencerOptions.onCommitted). */
  readonly onCommitted?: (leaves: readonly string[]) => void;
  /** How long a write waits for another process's lock before failing. */
  readonly busyTimeoutMs?: number;
  /** How often the checkpointer thread looks at the WAL backlog (default 250 ms). */
  readonly walCheckpointIntervalMs?: number;
  /** The checkpointer folds the WAL into the database once this many frames wait (default 4000)… */
  readonly walCheckpointMinFrames?: number;
  /** …or this long after its last checkpoint for a smaller backlog (default 5000 ms). */
  readonly walCheckpointMaxWaitMs?: number;
}

interface NodeRow {
  level: number;
  idx: number;
  hash: Buffer;
}

export function openSqliteAuditLog(opts: SqliteAuditLogOptions): AuditLog {
  const privateKey = signerPrivateKey(opts.signer);
  if (privateKey === undefined)
    throw new TypeError(
      'the SQLite audit log signs in its writer thread: use a signer from note/signer-key.ts',
    );
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  // The log, its WAL and its shared-memory file are readable by the owner only: entries are evidence.
  if (opts.path !== ':memory:') closeSync(openSync(opts.path, 'a', 0o600));
  const db = new Database(opts.path, { timeout: busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  migrateSqlite(db);
  // From here on this connection only reads; every write goes through the writer thread.
  db.pragma('query_only = ON');

  const q = {
    head: db.prepare('SELECT size FROM audit_head WHERE id = 1').pluck(),
    node: db.prepare('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?').pluck(),
    latestCheckpoint: db.prepare('SELECT size, root, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1'),
    allCheckpoints: db.prepare('SELECT size, root, note FROM audit_checkpoints ORDER BY size'),
    entries: db.prepare('SELECT idx, data FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx'),
    byRequest: db.prepare('SELECT idx, data FROM audit_entries WHERE request_id = ? ORDER BY idx'),
    nodes: db.prepare(
      'SELECT level, idx, hash FROM audit_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx',
    ),
  };
  const readNode = (id: NodeId): Buffer | undefined => q.node.get(id.level, id.index) as Buffer | undefined;

  const writer = startWriterThread({
    path: opts.path,
    busyTimeoutMs,
    signer: { name: opts.signer.name, keyId: opts.signer.keyId, privateKey },
  });

  // ':memory:' has no WAL to fold.
  const checkpointer =
    opts.path === ':memory:'
      ? undefined
      : startWalCheckpointer({
          path: opts.path,
          busyTimeoutMs,
          intervalMs: opts.walCheckpointIntervalMs ?? 250,
          minFrames: opts.walCheckpointMinFrames,
          maxWaitMs: opts.walCheckpointMaxWaitMs,
        });

  const toCheckpoint = (r: { size: number; root: Buffer; note: string }): Checkpoint => ({
    origin: opts.signer.name,
    size: r.size,
    root: r.root,
    note: r.note,
  });
  const toEntries = (rows: { idx: number; data: Buffer }[]): LoggedEntry[] =>
    rows.map((r) => ({ index: r.idx, data: r.data }));
  const latest = q.latestCheckpoint.get() as { size: number; root: Buffer; note: string } | undefined;

  let size = q.head.get() as number;
  const sequencer = createSequencer(
    {
      // The writer thread applies and answers commits in the order they were posted, so the next
      // batch can wait in its queue while one commits: no idle gap waiting for the main thread.
      pipeline: 2,
      initialSize: size,
      lastCheckpointSize: latest?.size ?? -1,
      async commit(batch, withCheckpoint): Promise<CommitOutcome> {
        if (batch.length === 0 && !withCheckpoint) return { first: size, size, checkpoint: null };
        const r = await writer.commit(batch, withCheckpoint);
        size = r.size!;
        const cp = r.checkpoint ?? null;
        return {
          first: r.first!,
          size,
          checkpoint:
            cp === null ? null : { origin: opts.signer.name, size: cp.size, root: cp.root, note: cp.note },
        };
      },
      probe: () => writer.probe(),
    },
    {
      maxBatch: opts.maxBatch ?? 256,
      checkpointIntervalMs: opts.checkpointIntervalMs ?? 1000,
      probeIntervalMs: opts.probeIntervalMs ?? 1000,
      ...(opts.onCommitted ? { onCommitted: opts.onCommitted } : {}),
    },
  );

  const proof = (components: Component[]): Uint8Array[] => assemble(components, readNode);
  const checkSize = (n: number, what: string): void => {
    const size = q.head.get() as number;
    if (!Number.isSafeInteger(n) || n < 0 || n > size)
      throw new RangeError(`${what} ${n} exceeds tree size ${size}`);
  };

  return {
    append: sequencer.append,
    appendMany: sequencer.appendMany,
    publishCheckpoint: sequencer.publishCheckpoint,
    health: sequencer.health,
    async size() {
      return q.head.get() as number;
    },
    async entries(from, to) {
      return toEntries(q.entries.all(from, to) as { idx: number; data: Buffer }[]);
    },
    async entriesByRequest(requestId) {
      return toEntries(q.byRequest.all(requestId) as { idx: number; data: Buffer }[]);
    },
    async checkpoint() {
      const r = q.latestCheckpoint.get() as { size: number; root: Buffer; note: string } | undefined;
      return r === undefined ? null : toCheckpoint(r);
    },
    async checkpoints() {
      return (q.allCheckpoints.all() as { size: number; root: Buffer; note: string }[]).map(toCheckpoint);
    },
    async inclusionProof(index, treeSize) {
      checkSize(treeSize, 'tree size');
      return proof(inclusionPlan(index, treeSize));
    },
    async consistencyProof(m, n) {
      checkSize(n, 'tree size');
      return proof(consistencyPlan(m, n));
    },
    async nodes(from, to) {
      // Per level, the nodes whose first leaf lies in [from, to): a primary-key range scan each.
      const out: { level: number; index: number; hash: Uint8Array }[] = [];
      // A node starting in the range can be as wide as the whole tree, so bound levels by the tree size.
      const size = q.head.get() as number;
      for (let level = 0, width = 1; width <= size; level++, width *= 2) {
        for (const r of q.nodes.all(level, Math.ceil(from / width), Math.ceil(to / width)) as NodeRow[]) {
          out.push({ level: r.level, index: r.idx, hash: r.hash });
        }
      }
      return out;
    },
    async close() {
      await sequencer.drain();
      await checkpointer?.close();
      await writer.close();
      db.close();
    },
  };
}
