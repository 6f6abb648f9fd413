// Writer thread of the SQLite audit log (a worker_threads entry; writer-thread.ts starts it). It owns
// the only write connection: each group commit is one BEGIN IMMEDIATE transaction with
// synchronous=FULL, so the fsync blocks this thread and never the gateway's event loop. The tree size
// is re-read inside the transaction, so a second writer on the same file cannot fork the tree: the
// right edge is reloaded when the size moved under us. Leaves are encoded, hashed and the checkpoint
// signed here too, keeping that CPU off the main thread.
import { sign } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CommitPlan } from '../commit-plan.ts';
import { planCommit } from '../commit-plan.ts';
import type { PendingEntry } from '../entry.ts';
import type { Frontier } from '../merkle/compact-range.ts';
import { frontierNodes } from '../merkle/compact-range.ts';
import { hashEquals } from '../merkle/hash.ts';
import type { Checkpoint } from '../types.ts';
import type { WriterData, WriterReply, WriterRequest } from './writer-protocol.ts';

const data = workerData as WriterData;
const port = parentPort!;
const signer = {
  name: data.signer.name,
  keyId: data.signer.keyId,
  sign: (m: Uint8Array): Uint8Array => sign(null, m, data.signer.privateKey),
};

const db = new Database(data.path, { timeout: data.busyTimeoutMs });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
// Checkpoints run in their own thread (wal-checkpointer.ts), not inside a commit; this only bounds the
// WAL (about 40 MB) should that thread be gone.
db.pragma('wal_autocheckpoint = 10000');

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
  probe: db.prepare(
    'INSERT INTO audit_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
  ),
};

const loadFrontier = (size: number): Frontier => ({
  size,
  hashes: frontierNodes(size).map((id) => {
    const h = q.node.get(id.level, id.index) as Buffer | undefined;
    if (h === undefined) throw new Error(`audit tree node ${id.level}/${id.index} is missing`);
    return h;
  }),
});

let frontier = loadFrontier(q.head.get() as number);

function storeCheckpoint(cp: Checkpoint): void {
  q.insertCheckpoint.run(cp.size, cp.root, cp.note, new Date().toISOString());
  const stored = q.checkpointRoot.get(cp.size) as Buffer;
  if (!hashEquals(stored, cp.root)) throw new Error(`a different root is already stored for size ${cp.size}`);
}

const write = db.transaction((batch: readonly PendingEntry[], withCheckpoint: boolean): CommitPlan => {
  const size = q.head.get() as number;
  const base = size === frontier.size ? frontier : loadFrontier(size);
  const plan = planCommit(base, batch, signer, withCheckpoint);
  for (const e of plan.entries) q.insertEntry.run(e.index, e.data, e.requestId);
  for (const n of plan.nodes) q.insertNode.run(n.level, n.index, n.hash);
  q.setHead.run(plan.frontier.size, plan.root);
  if (plan.checkpoint !== null) storeCheckpoint(plan.checkpoint);
  return plan;
});

function handle(req: WriterRequest): WriterReply {
  switch (req.op) {
    case 'commit': {
      const batch: PendingEntry[] = req.pre.map((pre, i) => ({
        pre,
        post: req.post[i]!,
        requestId: req.requestIds[i]!,
      }));
      const plan = write.immediate(batch, req.checkpoint);
      frontier = plan.frontier;
      const cp = plan.checkpoint;
      return {
        id: req.id,
        ok: true,
        first: plan.frontier.size - batch.length,
        size: plan.frontier.size,
        checkpoint: cp === null ? null : { size: cp.size, root: cp.root, note: cp.note },
      };
    }
    case 'probe':
      q.probe.run(new Date().toISOString());
      return { id: req.id, ok: true };
    case 'close':
      db.close();
      return { id: req.id, ok: true };
  }
}

port.on('message', (req: WriterRequest) => {
  let reply: WriterReply;
  try {
    reply = handle(req);
  } catch (err) {
    const e = err as Error & { code?: unknown };
    reply = {
      id: req.id,
      ok: false,
      error: {
        name: e.name ?? 'Error',
        message: String(e.message ?? err),
        ...(typeof e.code === 'string' ? { code: e.code } : {}),
      },
    };
  }
  port.postMessage(reply);
  if (req.op === 'close') port.close();
});
