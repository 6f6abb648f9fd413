// Pure migration bookkeeping shared by both drivers (STYLE 11: drivers share only pure code).
// Each driver owns its own folder of `NNNN_name.sql` files, its own SQL and its own locking; this file
// only reads those files, checksums them and decides which are pending.
//
// Migrations live as .sql files (not TS strings) so they can be reviewed and diffed as SQL. They are read
// with fs relative to import.meta.url at open time, because Node runs the TS sources directly.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { AirlockError } from '../errors.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** sha256 of the file with line endings normalised, so a CRLF checkout does not look like an edit. */
  readonly checksum: string;
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

const fileName = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Reads every `NNNN_name.sql` in `dir`, ordered by version. Duplicate versions stop start-up. */
export function loadMigrations(dir: URL | string): Migration[] {
  const migrations: Migration[] = [];
  for (const entry of readdirSync(dir)) {
    const match = fileName.exec(entry);
    if (!match) continue;
    const sql = readFileSync(new URL(entry, ensureTrailingSlash(dir)), 'utf8');
    migrations.push({ version: Number(match[1]), name: match[2]!, sql, checksum: migrationChecksum(sql) });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new AirlockError('store_unavailable', {
        detail: `two migrations share version ${migrations[i]!.version} in ${String(dir)}`,
      });
    }
  }
  return migrations;
}

function ensureTrailingSlash(dir: URL | string): URL {
  const url = typeof dir === 'string' ? pathToFileURL(dir) : dir;
  return url.href.endsWith('/') ? url : new URL(`${url.href}/`);
}

/**
 * Returns the migrations still to apply. Throws when an applied migration's checksum (or name) differs
 * from the file this build ships: migrations are never edited after they land, so a difference means the
 * schema may not be what the code expects — start-up stops instead of guessing.
 * Applied versions unknown to this build (a newer replica migrated first) are tolerated, so a rolling
 * upgrade or a rollback to additive-compatible code does not take the fleet down.
 */
export function pendingMigrations(
  known: readonly Migration[],
  applied: readonly AppliedMigration[],
  driver: string,
): Migration[] {
  const appliedByVersion = new Map(applied.map((m) => [m.version, m]));
  const pending: Migration[] = [];
  for (const migration of known) {
    const done = appliedByVersion.get(migration.version);
    if (!done) {
      pending.push(migration);
      continue;
    }
    if (done.checksum !== migration.checksum || done.name !== migration.name) {
      throw new AirlockError('store_unavailable', {
        detail:
          `${driver} migration ${label(migration)} was changed after it was applied ` +
          `(applied ${label(done)} checksum ${done.checksum.slice(0, 12)}…, file checksum ` +
          `${migration.checksum.slice(0, 12)}…); migrations are never edited after they land — ` +
          'restore the original file and add a new migration instead',
      });
    }
  }
  return pending;
}

function label(m: { version: number; name: string }): string {
  return `${String(m.version).padStart(4, '0')}_${m.name}`;
}
