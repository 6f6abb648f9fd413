// Cosigned checkpoints as files: `<dir>/<size, 12 digits>.note`, each a complete signed note (the
// log's signature plus the witnesses' cosignature lines), verifiable offline. Files, not a table, so
// no log driver changes: a note is written to a temporary file, fsynced, renamed into place and the
// folder fsynced, so a crash leaves either the old set or the new one, never half a note.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export const cosignedFile = (size: number): string => `${String(size).padStart(12, '0')}.note`;
const NOTE_FILE = /^(\d{12,})\.note$/;

export interface StoredCosigned {
  readonly size: number;
  readonly file: string;
  readonly note: string;
}

export function writeCosignedNote(dir: string, size: number, note: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const path = join(dir, cosignedFile(size));
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, note);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
  return path;
}

/** Stored notes, smallest tree first; an absent folder holds none. */
export function listCosignedNotes(dir: string): { size: number; file: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .flatMap((name) => {
      const m = NOTE_FILE.exec(name);
      return m ? [{ size: Number(m[1]), file: join(dir, name) }] : [];
    })
    .sort((a, b) => a.size - b.size);
}

export function readCosignedNotes(dir: string): StoredCosigned[] {
  return listCosignedNotes(dir).map((f) => ({ ...f, note: readFileSync(f.file, 'utf8') }));
}

export function latestCosignedNote(dir: string): StoredCosigned | undefined {
  const last = listCosignedNotes(dir).at(-1);
  return last && { ...last, note: readFileSync(last.file, 'utf8') };
}
