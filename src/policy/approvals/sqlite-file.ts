// The SQLite file that holds approvals, break-glass grants and two-person changes on this node:
// its own file in dataDir (0600, WAL, synchronous=FULL) so a granted approval, an open grant or an
// applied change survives a crash the moment the call returns. Each repo owns its tables and SQL;
// they only share the connection. A PostgreSQL driver would implement the same repo interfaces.
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { AirlockError } from '../../errors.ts';
import { openPrivateSqliteFile } from '../../store/private-sqlite-file.ts';

export type AuthzDatabase = Database.Database;

/** `dataDir/authz.sqlite` unless a path is given. */
export function authzDatabasePath(dataDir: string): string {
  return join(dataDir, 'authz.sqlite');
}

export function openAuthzDatabase(path: string): AuthzDatabase {
  try {
    return openPrivateSqliteFile(path, 'FULL');
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
