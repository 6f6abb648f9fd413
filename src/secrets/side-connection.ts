// A second, small connection to the store's database for the vault and user repositories.
//
// Why not the store's own handle: the store drivers are opaque (STYLE 11) and expose no handle. The
// vault and users tables ship as ordinary migrations in src/store/migrations/, so the store's
// migrate() creates them; these repositories only read and write them through their own connection
// with the same durability settings (SQLite WAL + synchronous=FULL, PostgreSQL synchronous_commit=on).
import { isAbsolute, resolve } from 'node:path';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import Database from 'better-sqlite3';
import type { Pool } from 'pg';
import pg from 'pg';
import { AirlockError } from '../errors.ts';
import type { StoreConfig } from '../store/open-store.ts';
import { checkOutClient } from '../store/pg-checkout.ts';
import { postgresUrlSecrets, redactPostgresUrl, scrubSecrets } from '../store/postgres-url.ts';

export type SideConnection =
  | { readonly driver: 'sqlite'; readonly db: SqliteDatabase; close(): Promise<void> }
  | {
      readonly driver: 'postgres';
      readonly pool: Pool;
      /** Maps a driver error to store_unavailable / conflict with the URL's secrets scrubbed. */
      readonly translate: (err: unknown) => unknown;
      close(): Promise<void>;
    };

export async function openSideConnection(
  store: StoreConfig,
  opts: { dataDir: string; busyTimeoutMs?: number },
): Promise<SideConnection> {
  if (store.driver === 'sqlite') {
    if (store.path === ':memory:')
      throw new AirlockError('config_invalid', {
        detail: 'the vault and users need a file-backed SQLite store, not :memory:',
      });
    const path = isAbsolute(store.path) ? store.path : resolve(opts.dataDir, store.path);
    return sqliteSideConnection(openSqlite(path, opts.busyTimeoutMs ?? 5_000));
  }
  return postgresSideConnection(store.url);
}

export function sqliteSideConnection(db: SqliteDatabase): SideConnection {
  return {
    driver: 'sqlite',
    db,
    async close() {
      if (db.open) db.close();
    },
  };
}

function openSqlite(path: string, busyTimeoutMs: number): SqliteDatabase {
  try {
    // fileMustExist: the store created the file 0600 and migrated it before anyone opens this side.
    const db = new Database(path, { fileMustExist: true });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    return db;
  } catch (err) {
    throw new AirlockError('store_unavailable', {
      detail: `sqlite: cannot open ${path}: ${(err as Error).message}`,
    });
  }
}

export async function postgresSideConnection(url: string, max = 4): Promise<SideConnection> {
  const where = redactPostgresUrl(url);
  const secrets = postgresUrlSecrets(url);
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    onConnect: async (client) => {
      await client.query(
        "SELECT set_config('synchronous_commit', 'on', false) WHERE current_setting('synchronous_commit') = 'off'",
      );
    },
  });
  pool.on('error', () => {});
  const translate = (err: unknown) => translatePgError(err, where, secrets);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw translate(err);
  }
  let closed = false;
  return {
    driver: 'postgres',
    pool,
    translate,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

function translatePgError(err: unknown, where: string, secrets: readonly string[]): unknown {
  if (err instanceof AirlockError || err instanceof TypeError || err instanceof RangeError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const detail = scrubSecrets(
    `postgres ${where}: ${sqlState ?? ''} ${err instanceof Error ? err.message : String(err)}`,
    secrets,
  );
  if (sqlState === '23505') return new AirlockError('conflict', { detail });
  if (sqlState === undefined || /^(08|28|53|57|58)|^3D000$|^25006$/.test(sqlState))
    return new AirlockError('store_unavailable', { detail });
  return err;
}

/** Runs `fn` in one transaction on one pooled client (ROLLBACK on any error). */
export async function pgTransaction<T>(
  conn: Extract<SideConnection, { driver: 'postgres' }>,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await checkOutClient(conn.pool);
  } catch (err) {
    throw conn.translate(err);
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    throw conn.translate(err);
  } finally {
    client.release(broken);
  }
}

/** A SQLite error that means "cannot serve now" becomes store_unavailable; a unique violation, conflict. */
export function translateSqliteError(err: unknown): unknown {
  if (err instanceof AirlockError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') {
    if (err instanceof TypeError && /database connection is not open/.test(err.message))
      return new AirlockError('store_unavailable', { detail: 'sqlite: connection closed' });
    return err;
  }
  const detail = `sqlite ${code}: ${(err as Error).message}`;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return new AirlockError('conflict', { detail });
  if (
    /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|NOMEM|PROTOCOL|PERM|ERROR)/.test(code)
  )
    return new AirlockError('store_unavailable', { detail });
  return err;
}
