// WAL checkpointer thread of the SQLite audit log (a worker_threads entry; writer-thread.ts starts it).
// Left to itself, SQLite checkpoints from the committing connection once the WAL passes 1000 pages:
// that commit copies every changed page into the database and fsyncs it before it returns, so about
// one group commit in a few hundred took milliseconds instead of one WAL fsync — the p99 of a request
// that waits for its audit entry. Here a connection of its own runs PASSIVE checkpoints on an interval:
// PASSIVE never blocks the writer (it copies only frames no reader or writer needs and gives up on
// any lock), so the database-file fsync happens beside the commits instead of inside one. The writer
// keeps a far larger autocheckpoint as a backstop, so the WAL stays bounded if this thread dies.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CheckpointerData {
  readonly path: string;
  readonly busyTimeoutMs: number;
  readonly intervalMs: number;
}

const data = workerData as CheckpointerData;
const db = new Database(data.path, { timeout: data.busyTimeoutMs });
db.pragma('synchronous = FULL');
const timer = setInterval(() => {
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
