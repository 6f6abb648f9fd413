// Streaming SHA-256 of artefacts and the overall digest of a model version. Files are never read
// whole into memory: multi-gigabyte GGUFs hash at disk speed with constant memory.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';

export type Progress = (done: number, total: number) => void;

/** SHA-256 (lower-case hex) of a file, read as a stream; `tee` receives every chunk (used to copy
 *  into the store in the same pass, so what is stored is exactly what was hashed). */
export async function hashFile(
  path: string,
  opts: { progress?: Progress; total?: number; tee?: Writable } = {},
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    if (opts.tee && !opts.tee.write(chunk))
      await new Promise<void>((resolve) => opts.tee!.once('drain', resolve));
    opts.progress?.(size, opts.total ?? size);
  }
  return { sha256: hash.digest('hex'), size };
}

/** SHA-256 over the sorted list of file digests, one per line: independent of file order. */
export function overallDigest(fileDigests: readonly string[]): string {
  return createHash('sha256')
    .update([...fileDigests].sort().join('\n'))
    .digest('hex');
}

export const isSha256Hex = (s: string): boolean => /^[0-9a-f]{64}$/.test(s);

/** A progress writer for stderr: one line rewritten in place, at most every whole percent. */
export function stderrProgress(out: NodeJS.WritableStream, label: string): Progress {
  let last = -1;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (pct === last) return;
    last = pct;
    const width = 30;
    const fill = Math.round((pct / 100) * width);
    out.write(
      `\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct}% ${(done / 1048576).toFixed(0)} MiB`,
    );
    if (done >= total) out.write('\n');
  };
}
