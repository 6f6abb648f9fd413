// A node-local SQLite file only this user can read, as the custody, revocation and authz files open
// it: the directory 0700, the file created 0600 before SQLite touches it (SQLite gives -wal/-shm the
// same mode), WAL, a 5 s busy timeout. Each caller owns its schema, its SQL and its error message.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** Opens `path` (creating it 0600 if absent; ':memory:' creates nothing) with journal_mode WAL and
 *  the given synchronous level. Throws the file system's or the driver's error as is. */
export function openPrivateSqliteFile(path: string, synchronous: 'NORMAL' | 'FULL'): Database.Database {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, '', { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const db = new Database(path, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  return db;
}
