// WAL checkpointer thread of the SQLite audit log (a worker_threads entry; writer-thread.ts starts it).
// Left to itself, SQLite checkpoints from the committing connection once the WAL passes 1000 pages:
// that commit copies every changed page into the database and fsyncs it before it returns, so about
// one group commit in a few hundred took milliseconds instead of one WAL fsync — the p99 of a request
// that waits for its audit entry. Here a connection of its own runs PASSIVE checkpoints: PASSIVE never
// blocks the writer (it copies only frames no reader or writer needs and gives up on any lock), so the
// database-file fsync happens beside the commits instead of inside one. The writer keeps a far larger
// autocheckpoint as a backstop, so the WAL stays bounded if this thread dies.
//
// Pacing (wal-backlog.ts): every intervalMs the thread reads the WAL-index header and checkpoints only
// once minFrames wait (default 4000, ~16 MB of WAL: well below the writer's 10,000-page backstop), or
// maxWaitMs after the last one for a smaller backlog. A checkpoint costs about the same whatever its
// size (the database-file fsync dominates: 2–10 ms wall for 100–500 new frames) and pages the writer
// rewrites on every commit (tree nodes, the table's last leaf) are copied once per checkpoint, so the
// former fixed 250 ms clock fsynced the database 4 times a second under load, copying hot pages each time.
// The thread also lowers its own scheduling priority: its work is background work, and on a busy core
// it should wait for the request path (main and writer threads), not delay it.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type CheckpointPacing, readPendingFrames, shouldCheckpoint } from './wal-backlog.ts';

export interface CheckpointerData extends Partial<CheckpointPacing> {
  readonly path: string;
  readonly busyTimeoutMs: number;
  /** How often to look at the WAL backlog. */
  readonly intervalMs: number;
}

/** Nice value of this thread: below the request path, still far from starved (CFS weight 110 vs 1024). */
const BACKGROUND_NICE = 10;

/** Linux: lower this thread's priority (setpriority on a thread id affects only that thread). Elsewhere,
 *  or if refused, the thread simply keeps the process's priority. */
function lowerOwnPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, BACKGROUND_NICE);
  } catch {
    // Not Linux, or no /proc: priority is an optimisation only.
  }
}

const data = workerData as CheckpointerData;
const pacing: CheckpointPacing = {
  minFrames: data.minFrames ?? 4000,
  maxWaitMs: data.maxWaitMs ?? 5000,
};
lowerOwnPriority();
const db = new Database(data.path, { timeout: data.busyTimeoutMs });
db.pragma('synchronous = FULL');
let last = Date.now();
const timer = setInterval(() => {
  if (!shouldCheckpoint(readPendingFrames(data.path), Date.now() - last, pacing)) return;
  last = Date.now();
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLITE_BUSY or a transient I/O error: the next interval tries again; the backstop bounds the WAL.
  }
}, data.intervalMs);

parentPort!.on('message', (msg: { op: 'close' }) => {
  if (msg.op !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort!.postMessage({ op: 'closed' });
  parentPort!.close();
});
