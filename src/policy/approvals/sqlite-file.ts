// The SQLite file that holds approvals, break-glass grants and two-person changes on this node:
// its own file in dataDir (0600, WAL, synchronous=FULL) so a granted approval, an open grant or an
// applied change survives a crash the moment the call returns. Each repo owns its tables and SQL;
// they only share the connection. A PostgreSQL driver would implement the same repo interfaces.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { AirlockError } from '../../errors.ts';

export type AuthzDatabase = Database.Database;

/** `dataDir/authz.sqlite` unless a path is given. */
export function authzDatabasePath(dataDir: string): string {
  return join(dataDir, 'authz.sqlite');
}

export function openAuthzDatabase(path: string): AuthzDatabase {
  try {
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
    db.pragma('synchronous = FULL');
    return db;
  } catch (err) {
    throw new AirlockError('store_unavailable', { detail: `authz: cannot open ${path}`, cause: err });
  }
}

/** Runs a statement, mapping any driver error to store_unavailable (AirlockErrors pass through). */
export function guarded<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    throw new AirlockError('store_unavailable', { detail: `${what}: sqlite error`, cause: err });
  }
}
