// SQLite driver of the audit log: better-sqlite3 on its own database file, WAL, synchronous=FULL (a
// commit is on disk when it returns). BEGIN IMMEDIATE takes SQLite's single writer lock, and the tree
// size is re-read inside that transaction, so a second process writing the same file cannot fork the
// tree: the sequencer reloads the right edge when the size moved under it.
import Database from 'better-sqlite3';
import type { CommitPlan } from '../commit-plan.ts';
import { planCommit } from '../commit-plan.ts';
import type { PendingEntry } from '../entry.ts';
import type { Frontier } from '../merkle/compact-range.ts';
import { frontierNodes } from '../merkle/compact-range.ts';
import { hashEquals } from '../merkle/hash.ts';
import type { Component, NodeId } from '../merkle/plan.ts';
import { assemble, consistencyPlan, inclusionPlan } from '../merkle/plan.ts';
import type { CommitOutcome } from '../sequencer.ts';
import { createSequencer } from '../sequencer.ts';
import type { AuditLog, Checkpoint, LoggedEntry, NoteSigner } from '../types.ts';
import { migrateSqlite } from './migrations.ts';

export interface SqliteAuditLogOptions {
  readonly path: string;
  readonly signer: NoteSigner;
  /** Most entries in one group commit. */
  readonly maxBatch?: number;
  /** Sign a checkpoint with the first commit after this many ms (and after a quiet interval). */
  readonly checkpointIntervalMs?: number;
  /** While failed, probe the store at most this often; appends in between fail fast. */
  readonly probeIntervalMs?: number;
  /** How long a write waits for another process's lock before failing. */
  readonly busyTimeoutMs?: number;
}

interface NodeRow {
  level: number;
  idx: number;
  hash: Buffer;
}

export function openSqliteAuditLog(opts: SqliteAuditLogOptions): AuditLog {
  const db = new Database(opts.path, { timeout: opts.busyTimeoutMs ?? 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  migrateSqlite(db);

  const q = {
    head: db.prepare('SELECT size FROM audit_head WHERE id = 1').pluck(),
    setHead: db.prepare('UPDATE audit_head SET size = ?, root = ? WHERE id = 1'),
    node: db.prepare('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?').pluck(),
    insertEntry: db.prepare('INSERT INTO audit_entries (idx, data, request_id) VALUES (?, ?, ?)'),
    insertNode: db.prepare('INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)'),
    insertCheckpoint: db.prepare(
      'INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (size) DO NOTHING',
    ),
    checkpointRoot: db.prepare('SELECT root FROM audit_checkpoints WHERE size = ?').pluck(),
    latestCheckpoint: db.prepare('SELECT size, root, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1'),
    allCheckpoints: db.prepare('SELECT size, root, note FROM audit_checkpoints ORDER BY size'),
    entries: db.prepare('SELECT idx, data FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx'),
    byRequest: db.prepare('SELECT idx, data FROM audit_entries WHERE request_id = ? ORDER BY idx'),
    nodes: db.prepare(
      'SELECT level, idx, hash FROM audit_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx',
    ),
    probe: db.prepare(
      'INSERT INTO audit_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
    ),
  };

  const readNode = (id: NodeId): Buffer | undefined => q.node.get(id.level, id.index) as Buffer | undefined;
  const loadFrontier = (size: number): Frontier => ({
    size,
    hashes: frontierNodes(size).map((id) => {
      const h = readNode(id);
      if (h === undefined) throw new Error(`audit tree node ${id.level}/${id.index} is missing`);
      return h;
    }),
  });

  let frontier = loadFrontier(q.head.get() as number);

  const write = db.transaction((batch: readonly PendingEntry[], withCheckpoint: boolean): CommitPlan => {
    const size = q.head.get() as number;
    const base = size === frontier.size ? frontier : loadFrontier(size);
    const plan = planCommit(base, batch, opts.signer, withCheckpoint);
    for (const e of plan.entries) q.insertEntry.run(e.index, e.data, e.requestId);
    for (const n of plan.nodes) q.insertNode.run(n.level, n.index, n.hash);
    q.setHead.run(plan.frontier.size, plan.root);
    if (plan.checkpoint !== null) storeCheckpoint(plan.checkpoint);
    return plan;
  });

  function storeCheckpoint(cp: Checkpoint): void {
    q.insertCheckpoint.run(cp.size, cp.root, cp.note, new Date().toISOString());
    const stored = q.checkpointRoot.get(cp.size) as Buffer;
    if (!hashEquals(stored, cp.root))
      throw new Error(`a different root is already stored for size ${cp.size}`);
  }

  const toCheckpoint = (r: { size: number; root: Buffer; note: string }): Checkpoint => ({
    origin: opts.signer.name,
    size: r.size,
    root: r.root,
    note: r.note,
  });
  const toEntries = (rows: { idx: number; data: Buffer }[]): LoggedEntry[] =>
    rows.map((r) => ({ index: r.idx, data: r.data }));
  const latest = q.latestCheckpoint.get() as { size: number; root: Buffer; note: string } | undefined;

  const sequencer = createSequencer(
    {
      initialSize: frontier.size,
      lastCheckpointSize: latest?.size ?? -1,
      async commit(batch, withCheckpoint): Promise<CommitOutcome> {
        if (batch.length === 0 && !withCheckpoint)
          return { first: frontier.size, size: frontier.size, checkpoint: null };
        const plan = write.immediate(batch, withCheckpoint);
        frontier = plan.frontier;
        return {
          first: plan.frontier.size - batch.length,
          size: plan.frontier.size,
          checkpoint: plan.checkpoint,
        };
      },
      async probe() {
        q.probe.run(new Date().toISOString());
      },
    },
    {
      maxBatch: opts.maxBatch ?? 256,
      checkpointIntervalMs: opts.checkpointIntervalMs ?? 1000,
      probeIntervalMs: opts.probeIntervalMs ?? 1000,
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
      db.close();
    },
  };
}
