// Main-thread end of the SQLite audit log's writer thread (writer.ts): request/reply over
// postMessage. The thread keeps the process alive only while a request is outstanding, like any
// pending I/O. If it dies, outstanding and later requests reject (the sequencer fails closed) until a
// probe starts a fresh thread and its probe write succeeds.
//
// The Worker is looked up on the module object at start (`worker_threads.Worker`), not imported by
// name, so an egress guard installed after this module loaded (src/egress/guard-worker.ts) still wraps
// it and the writer thread runs under the same policy as the process.
import worker_threads from 'node:worker_threads';
import type { PendingEntry } from '../entry.ts';
import type { CheckpointerData } from './wal-checkpointer.ts';
import type { WriterData, WriterError, WriterReply, WriterRequest } from './writer-protocol.ts';

const ENTRY = new URL('./writer.ts', import.meta.url);
const CHECKPOINTER = new URL('./wal-checkpointer.ts', import.meta.url);

type Reply = Extract<WriterReply, { ok: true }>;
type RequestBody =
  | Omit<Extract<WriterRequest, { op: 'commit' }>, 'id'>
  | Omit<Extract<WriterRequest, { op: 'probe' | 'close' }>, 'id'>;

interface Outstanding {
  resolve(r: Reply): void;
  reject(e: Error): void;
}

export interface WriterThread {
  commit(batch: readonly PendingEntry[], checkpoint: boolean): Promise<Reply>;
  /** A probe write; first starts a new thread if the last one died. */
  probe(): Promise<void>;
  /** Closes the write connection and ends the thread. */
  close(): Promise<void>;
}

/**
 * The writer inherits the process's node flags, except the ones about an --eval string (a worker
 * with --input-type refuses to load a file). undefined: inherit as is.
 */
function writerExecArgv(): string[] | undefined {
  const argv = process.execArgv;
  if (!argv.some((a) => a.startsWith('--input-type'))) return undefined;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--input-type=')) continue;
    if (['--input-type', '-e', '--eval', '-p', '--print'].includes(a)) {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function newWorker(entry: URL, data: WriterData | CheckpointerData): worker_threads.Worker {
  const execArgv = writerExecArgv();
  if (execArgv === undefined) return new worker_threads.Worker(entry, { workerData: data });
  try {
    return new worker_threads.Worker(entry, { workerData: data, execArgv });
  } catch (err) {
    // Per-process flags (--max-old-space-size …) are refused once execArgv is explicit.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new worker_threads.Worker(entry, { workerData: data, execArgv: [] });
  }
}

function toError(e: WriterError): Error {
  const err = new Error(e.message) as Error & { code?: string };
  err.name = e.name;
  if (e.code !== undefined) err.code = e.code;
  return err;
}

export interface WalCheckpointer {
  /** Stops checkpointing and closes its connection. */
  close(): Promise<void>;
}

/** Starts the WAL checkpointer thread (wal-checkpointer.ts). It never keeps the process alive, and if
 *  it dies the writer's backstop autocheckpoint bounds the WAL, so its errors are not the log's. */
export function startWalCheckpointer(data: CheckpointerData): WalCheckpointer {
  const w = newWorker(CHECKPOINTER, data);
  w.unref();
  w.on('error', () => {});
  const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
  return {
    async close() {
      w.ref(); // closing is pending work: the process waits for it like any other I/O
      w.postMessage({ op: 'close' });
      await exited;
    },
  };
}

/** `entry` is for tests (a writer that misbehaves); the log always runs writer.ts. */
export function startWriterThread(data: WriterData, entry: URL = ENTRY): WriterThread {
  const outstanding = new Map<number, Outstanding>();
  let nextId = 1;
  let worker: worker_threads.Worker | undefined;
  let dead: Error | undefined;
  let closed = false;

  function spawn(): worker_threads.Worker {
    const w = newWorker(entry, data);
    w.unref();
    let crash: Error | undefined;
    w.on('message', (reply: WriterReply) => {
      const o = outstanding.get(reply.id);
      if (o === undefined) return;
      outstanding.delete(reply.id);
      if (outstanding.size === 0) w.unref();
      if (reply.ok) o.resolve(reply);
      else o.reject(toError(reply.error));
    });
    w.on('error', (err) => {
      crash = err;
    });
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      dead = new Error(`audit writer thread exited (code ${code})${crash ? `: ${crash.message}` : ''}`, {
        cause: crash,
      });
      for (const o of outstanding.values()) o.reject(dead);
      outstanding.clear();
    });
    return w;
  }

  function request(body: RequestBody): Promise<Reply> {
    if (closed) return Promise.reject(new Error('audit writer thread is closed'));
    if (worker === undefined) return Promise.reject(dead ?? new Error('audit writer thread is not running'));
    const w = worker;
    const id = nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (outstanding.size === 0) w.ref();
      outstanding.set(id, { resolve, reject });
      w.postMessage({ id, ...body });
    });
  }

  worker = spawn();

  return {
    commit(batch, checkpoint) {
      const n = batch.length;
      const pre = new Array<string>(n);
      const post = new Array<string>(n);
      const requestIds = new Array<string | null>(n);
      for (let i = 0; i < n; i++) {
        const p = batch[i]!;
        pre[i] = p.pre;
        post[i] = p.post;
        requestIds[i] = p.requestId;
      }
      return request({ op: 'commit', pre, post, requestIds, checkpoint });
    },
    async probe() {
      if (worker === undefined && !closed) {
        dead = undefined;
        worker = spawn();
      }
      await request({ op: 'probe' });
    },
    async close() {
      if (closed) return;
      const w = worker;
      if (w !== undefined) await request({ op: 'close' }).catch(() => {});
      closed = true;
      if (w !== undefined) await w.terminate();
    },
  };
}
