// JSON Lines file export with size-based rotation: `audit.jsonl` is written, and when the next line
// would push it past maxBytes it becomes `audit.jsonl.1` (`.1` → `.2` …, the oldest beyond maxFiles
// is overwritten). Files are created 0600 — entries name principals and decisions. Writes are
// batched off the request path; close() writes what is queued and closes the file (no fsync: the
// Merkle log is the durable copy, this one is derived).
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditEntry } from '../types.ts';
import { createBoundedQueue, oneLine } from './queue.ts';
import type { AuditExporter, ExporterDeps, ExportHealth } from './types.ts';

export interface JsonlFileOptions {
  readonly name: string;
  /** Absolute path of the live file. */
  readonly path: string;
  readonly maxBytes: number;
  /** Rotated files kept (`path.1` … `path.N`); 0 keeps none. */
  readonly maxFiles: number;
  readonly maxQueue: number;
  /** One line of JSON without the trailing newline. */
  readonly format: (entry: AuditEntry) => string;
}

const BATCH = 512;

export function createJsonlFileExporter(
  opts: JsonlFileOptions,
  deps: Pick<ExporterDeps, 'log'> = {},
): AuditExporter {
  const queue = createBoundedQueue<AuditEntry>(opts.maxQueue);
  let handle: FileHandle | undefined;
  let size = 0;
  let draining: Promise<void> | undefined;
  let closed = false;
  let failure: string | undefined;
  let exported = 0;

  async function openFile(): Promise<FileHandle> {
    if (handle) return handle;
    await mkdir(dirname(opts.path), { recursive: true, mode: 0o700 });
    const h = await open(opts.path, 'a', 0o600);
    try {
      await h.chmod(0o600);
      size = (await h.stat()).size;
    } catch (err) {
      await h.close().catch(() => {});
      throw err;
    }
    handle = h;
    return h;
  }

  async function rotate(): Promise<void> {
    const h = handle;
    handle = undefined;
    await h?.close();
    const rotated = (i: number) => `${opts.path}.${i}`;
    if (opts.maxFiles === 0) {
      await unlink(opts.path).catch(ignoreMissing);
    } else {
      for (let i = opts.maxFiles - 1; i >= 1; i--)
        await rename(rotated(i), rotated(i + 1)).catch(ignoreMissing);
      await rename(opts.path, rotated(1)).catch(ignoreMissing);
    }
    size = 0;
  }

  async function writeBatch(batch: readonly AuditEntry[]): Promise<void> {
    let chunk = '';
    let chunkBytes = 0;
    let pending = 0;
    let done = 0;
    const writeChunk = async () => {
      if (chunkBytes === 0) return;
      const h = await openFile();
      await h.write(chunk);
      size += chunkBytes;
      done += pending;
      chunk = '';
      chunkBytes = 0;
      pending = 0;
    };
    try {
      for (const entry of batch) {
        let line: string;
        try {
          line = `${opts.format(entry)}\n`;
        } catch {
          queue.countDropped(1); // an entry the format cannot express is a counted gap, not a stall
          done++;
          continue;
        }
        const bytes = Buffer.byteLength(line);
        if (!handle) await openFile(); // learns the live file's size
        if (size + chunkBytes > 0 && size + chunkBytes + bytes > opts.maxBytes) {
          await writeChunk();
          await rotate();
          await openFile();
        }
        chunk += line;
        chunkBytes += bytes;
        pending++;
      }
      await writeChunk();
      failure = undefined;
    } catch (err) {
      const lost = batch.length - done;
      queue.countDropped(lost);
      if (failure === undefined)
        deps.log?.('warn', 'audit export write failed', { exporter: opts.name, lost });
      failure = oneLine(err);
      const h = handle;
      handle = undefined;
      await h?.close().catch(() => {});
    } finally {
      exported += done;
    }
  }

  function schedule(): void {
    draining ??= (async () => {
      // Yield once so every entry of this commit (and this turn of the event loop) joins one write.
      await new Promise<void>((r) => setImmediate(r));
      while (queue.size > 0) await writeBatch(queue.take(BATCH));
    })().finally(() => {
      draining = undefined;
      if (queue.size > 0 && !closed) schedule();
    });
  }

  return {
    name: opts.name,
    export(entry) {
      if (closed) {
        queue.countDropped(1);
        return;
      }
      if (queue.push(entry)) schedule();
    },
    async flush() {
      while (draining) await draining;
    },
    async close() {
      if (closed) return;
      closed = true;
      while (draining) await draining;
      const h = handle;
      handle = undefined;
      await h?.close();
    },
    health(): ExportHealth {
      return {
        ok: failure === undefined && !closed,
        ...(failure !== undefined ? { reason: failure } : closed ? { reason: 'closed' } : {}),
        dropped: queue.dropped,
        queued: queue.size,
        exported,
      };
    },
  };
}

function ignoreMissing(err: unknown): void {
  if ((err as { code?: string }).code !== 'ENOENT') throw err;
}
