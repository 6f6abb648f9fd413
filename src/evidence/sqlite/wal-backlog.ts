// How many WAL frames are waiting to be checkpointed, read from the WAL-index header in the -shm
// file (https://www.sqlite.org/walformat.html §2.1, the format every SQLite since 3.7.0 uses):
// mxFrame (u32 at 16) is the last valid frame, nBackfill (u32 at 96, in the checkpoint info after the
// two 48-byte header copies) the frames already copied into the database. Both are in the host's byte
// order. Reading 100 bytes costs a few microseconds and no lock, so the checkpointer thread can look
// often and checkpoint only when there is enough to fold, instead of fsyncing the database file on a
// fixed clock. Anything unexpected (no file, another version, a header being rewritten) answers
// undefined and the caller checkpoints as if it did not know: this only ever paces, never skips.
import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

const HEADER_BYTES = 48;
const WAL_INDEX_VERSION = 3007000;
const READ_BYTES = 2 * HEADER_BYTES + 4 + 4; // two header copies, nBackfill, aReadMark[0]

/** Frames in the WAL not yet copied into the database, from the bytes at the start of the -shm
 *  file; undefined when they are not a consistent WAL-index header. */
export function pendingFramesFromWalIndex(buf: Uint8Array): number | undefined {
  if (buf.length < READ_BYTES) return undefined;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const u32 = (at: number) => (endianness() === 'LE' ? b.readUInt32LE(at) : b.readUInt32BE(at));
  // SQLite writes the second copy first and reads the header only when both agree.
  if (!b.subarray(0, HEADER_BYTES).equals(b.subarray(HEADER_BYTES, 2 * HEADER_BYTES))) return undefined;
  if (u32(0) !== WAL_INDEX_VERSION || b[12] !== 1) return undefined; // iVersion, isInit
  const mxFrame = u32(16);
  const nBackfill = u32(2 * HEADER_BYTES);
  return nBackfill <= mxFrame ? mxFrame - nBackfill : undefined;
}

/** Reads the WAL-index header of the database at `dbPath`; undefined if it cannot be read. */
export function readPendingFrames(dbPath: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`${dbPath}-shm`, 'r');
    const buf = Buffer.alloc(READ_BYTES);
    const n = readSync(fd, buf, 0, READ_BYTES, 0);
    return n === READ_BYTES ? pendingFramesFromWalIndex(buf) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface CheckpointPacing {
  /** Checkpoint once this many frames (pages) wait. */
  readonly minFrames: number;
  /** Fold a smaller backlog anyway after this long, so a quiet log ends up in the database file. */
  readonly maxWaitMs: number;
}

/** Whether to run a checkpoint now. `pending` undefined (header unreadable): yes, as before pacing. */
export function shouldCheckpoint(
  pending: number | undefined,
  msSinceLast: number,
  pacing: CheckpointPacing,
): boolean {
  if (pending === undefined) return true;
  if (pending === 0) return false;
  return pending >= pacing.minFrames || msSinceLast >= pacing.maxWaitMs;
}
