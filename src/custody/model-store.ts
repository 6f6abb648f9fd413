// The content-addressed model store: <dataDir>/models/sha256/<digest>, each file read-only (0444).
// A file enters the store by being hashed while it is copied to a temporary name in the same folder,
// then renamed into place only if the digest matches: a partial or tampered copy is never visible.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { AirlockError } from '../errors.ts';
import { hashFile, type Progress } from './digest.ts';

export function storeRoot(dataDir: string): string {
  return join(dataDir, 'models', 'sha256');
}

export function storePath(dataDir: string, sha256: string): string {
  return join(storeRoot(dataDir), sha256);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Copies `source` into the store, hashing it in the same pass. With `expected`, a different digest
 * refuses the file (the temporary copy is removed). Returns the digest and size actually read.
 */
export async function putInStore(
  dataDir: string,
  source: string,
  opts: { expected?: string; progress?: Progress; total?: number } = {},
): Promise<{ sha256: string; size: number; path: string }> {
  const root = storeRoot(dataDir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const tmp = join(root, `.incoming-${randomBytes(8).toString('hex')}`);
  const out = createWriteStream(tmp, { mode: 0o600, flags: 'wx' });
  try {
    const r = await hashFile(source, {
      tee: out,
      ...(opts.progress ? { progress: opts.progress } : {}),
      ...(opts.total !== undefined ? { total: opts.total } : {}),
    });
    out.end();
    await finished(out);
    if (opts.expected !== undefined && r.sha256 !== opts.expected)
      throw new AirlockError('model_import_refused', {
        detail: `${source}: SHA-256 ${r.sha256} does not match the manifest (${opts.expected}); the file was altered or is not the one signed`,
      });
    const dest = storePath(dataDir, r.sha256);
    if (await exists(dest)) await rm(tmp);
    else {
      await chmod(tmp, 0o444);
      await rename(tmp, dest);
    }
    return { ...r, path: dest };
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}
