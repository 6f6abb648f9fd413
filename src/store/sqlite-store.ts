// SQLite driver: the embedded default (DESIGN §4). better-sqlite3 is synchronous, so every method runs
// to completion before its promise settles; with synchronous=FULL a resolved write has been fsynced.
// Writers use BEGIN IMMEDIATE so two processes on one file queue on busy_timeout instead of failing
// with SQLITE_BUSY when a read transaction tries to upgrade.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database as SqliteDatabase, Statement, Transaction } from 'better-sqlite3';
import Database from 'better-sqlite3';
import { AirlockError } from '../errors.ts';
import { type AppliedMigration, loadMigrations, pendingMigrations } from './migrations.ts';
import { createFreshness } from './sqlite-fresh-cache.ts';
import type { ApiKeyRecord, NewApiKey, Store } from './types.ts';

export interface SqliteStoreOptions {
  /** Database file, or ':memory:' for throw-away stores. Created with mode 0600 when missing. */
  readonly path: string;
  /** How long a writer waits for another process's lock before failing; default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

interface ApiKeyRow {
  id: string;
  prefix: string;
  hash: string;
  owner: string;
  kind: 'client' | 'admin';
  models: string;
  endpoints: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  replaced_by: string | null;
  last_used_at: number | null;
  created_by: string | null;
}

const migrationsDir = new URL('./migrations/sqlite/', import.meta.url);

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL,
  checksum   TEXT    NOT NULL
) STRICT`;

export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  // Read at open so a missing or duplicated migration file stops start-up before anything is served.
  const migrations = loadMigrations(migrationsDir);
  const db = openDatabase(options.path, options.busyTimeoutMs ?? 5_000);
  let closed = false;
  let statements: ReturnType<typeof prepareStatements> | undefined;
  // Every request reads its key: served from memory while no other connection has committed
  // (data_version), dropped on every write of ours, so a revoke anywhere still takes effect on the
  // next request. Token usage is not cached: its SELECT costs what the data_version check does.
  const fresh = createFreshness(db);
  const keysByHash = fresh.cache<ApiKeyRecord>(10_000);

  // Meters (token usage counts, a key's last use) do not wait for an fsync: in WAL mode
  // synchronous=NORMAL keeps the database consistent and the write becomes durable with the next FULL
  // commit or checkpoint, so a power cut loses at most the last counts (the audit log is the record of
  // every request's usage; this is the meter). Keys and everything else stay FULL. With FULL, the
  // batched usage flush held the event loop for an fsync every 250 ms (a p99 tail at one connection).
  const meter = (fn: () => void): void => {
    db.pragma('synchronous = NORMAL');
    try {
      fn();
    } finally {
      db.pragma('synchronous = FULL');
    }
  };

  // Statements are prepared once, on first use: before migrate() the tables may not exist yet.
  const run = <T>(fn: (s: ReturnType<typeof prepareStatements>) => T): T => {
    if (closed) throw new AirlockError('store_unavailable', { detail: 'sqlite: store is closed' });
    try {
      statements ??= prepareStatements(db);
      return fn(statements);
    } catch (err) {
      throw translateError(err);
    }
  };
  const write = <T>(fn: (s: ReturnType<typeof prepareStatements>) => T): T => {
    try {
      return run(fn);
    } finally {
      fresh.wrote();
    }
  };

  return {
    driver: 'sqlite',

    async migrate() {
      if (closed) throw new AirlockError('store_unavailable', { detail: 'sqlite: store is closed' });
      // One IMMEDIATE transaction: all pending migrations land or none do, and a second process waits.
      // PRAGMA foreign_keys cannot change inside it, so a future table rebuild must keep FKs valid.
      try {
        db.transaction(() => {
          db.exec(createMigrationsTable);
          const applied = db
            .prepare('SELECT version, name, checksum FROM schema_migrations')
            .all() as AppliedMigration[];
          const record = db.prepare(
            'INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)',
          );
          for (const migration of pendingMigrations(migrations, applied, 'sqlite')) {
            db.exec(migration.sql);
            record.run(migration.version, migration.name, Date.now(), migration.checksum);
          }
        }).immediate();
      } catch (err) {
        throw translateError(err);
      } finally {
        fresh.wrote();
      }
    },

    async ping() {
      try {
        return run((s) => s.ping.get() === 1);
      } catch {
        return false;
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },

    async insertApiKey(key: NewApiKey) {
      write((s) => s.insert.run(keyParams(key)));
    },

    async findApiKeyByHash(hash: string) {
      return run((s) => keysByHash.read(hash, () => toRecord(s.byHash.get(hash))));
    },

    async getApiKey(id: string) {
      return run((s) => toRecord(s.byId.get(id)));
    },

    async listApiKeys(filter = {}) {
      const includeRevoked = filter.includeRevoked === true ? 1 : 0;
      return run((s) =>
        (filter.owner === undefined
          ? s.listAll.all({ includeRevoked })
          : s.listByOwner.all({ owner: filter.owner, includeRevoked })
        ).map((row) => toRecord(row)!),
      );
    },

    async listApiKeysCreatedBy(owner: string, creator: string) {
      return run((s) => s.byOwnerCreator.all(owner, creator).map((row) => toRecord(row)!));
    },

    async revokeApiKey(id: string, at: Date) {
      return write((s) => s.revoke.run(toMs(at), id).changes === 1);
    },

    async rotateApiKey(oldId: string, next: NewApiKey, overlapUntil: Date) {
      return write((s) => s.rotate.immediate(oldId, next, toMs(overlapUntil)));
    },

    async touchApiKey(id: string, at: Date) {
      write((s) => meter(() => s.touch.run({ id, at: toMs(at) })));
    },

    async addTokenUsage(scope: string, day: string, tokens: number) {
      assertTokens(tokens);
      write((s) => meter(() => s.addUsage.run(scope, day, tokens)));
    },

    async getTokenUsage(scope: string, day: string) {
      return run((s) => (s.getUsage.get(scope, day) as number | undefined) ?? 0);
    },
  };
}

function openDatabase(path: string, busyTimeoutMs: number): SqliteDatabase {
  try {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Create the file ourselves so it is 0600 from the first byte; SQLite gives -wal/-shm the same mode.
      try {
        writeFileSync(path, '', { flag: 'wx', mode: 0o600 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const db = new Database(path);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (path !== ':memory:' && mode !== 'wal') {
      db.close();
      throw new Error(`journal_mode is ${String(mode)}, WAL is required`);
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    return db;
  } catch (err) {
    throw new AirlockError('store_unavailable', {
      detail: `sqlite: cannot open ${path}: ${(err as Error).message}`,
      cause: err,
    });
  }
}

function prepareStatements(db: SqliteDatabase) {
  const insert = db.prepare(
    `INSERT INTO api_keys (id, prefix, hash, owner, kind, models, endpoints, created_at, expires_at, created_by)
     VALUES (@id, @prefix, @hash, @owner, @kind, @models, @endpoints, @createdAt, @expiresAt, @createdBy)`,
  );
  const isLive = db.prepare('SELECT revoked_at FROM api_keys WHERE id = ?');
  const markReplaced = db.prepare(
    'UPDATE api_keys SET replaced_by = @next, expires_at = min(expires_at, @overlapUntil) WHERE id = @id',
  );
  const rotate: Transaction<(oldId: string, next: NewApiKey, overlapUntil: number) => boolean> =
    db.transaction((oldId: string, next: NewApiKey, overlapUntil: number) => {
      const old = isLive.get(oldId) as { revoked_at: number | null } | undefined;
      if (old === undefined || old.revoked_at !== null) return false;
      insert.run(keyParams(next));
      markReplaced.run({ id: oldId, next: next.id, overlapUntil });
      return true;
    });
  return {
    insert,
    rotate,
    byHash: db.prepare('SELECT * FROM api_keys WHERE hash = ?') as Statement<[string], ApiKeyRow>,
    byId: db.prepare('SELECT * FROM api_keys WHERE id = ?') as Statement<[string], ApiKeyRow>,
    listAll: db.prepare(
      `SELECT * FROM api_keys WHERE (@includeRevoked = 1 OR revoked_at IS NULL) ORDER BY created_at, id`,
    ) as Statement<[{ includeRevoked: number }], ApiKeyRow>,
    listByOwner: db.prepare(
      `SELECT * FROM api_keys WHERE owner = @owner AND (@includeRevoked = 1 OR revoked_at IS NULL)
       ORDER BY created_at, id`,
    ) as Statement<[{ owner: string; includeRevoked: number }], ApiKeyRow>,
    byOwnerCreator: db.prepare(
      'SELECT * FROM api_keys WHERE owner = ? AND created_by = ? ORDER BY created_at, id',
    ) as Statement<[string, string], ApiKeyRow>,
    revoke: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    // Only moves forward, so replicas touching out of order never make a key look idle.
    touch: db.prepare(
      'UPDATE api_keys SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)',
    ),
    addUsage: db.prepare(
      `INSERT INTO token_usage (scope, day, tokens) VALUES (?, ?, ?)
       ON CONFLICT (scope, day) DO UPDATE SET tokens = tokens + excluded.tokens`,
    ),
    getUsage: db.prepare('SELECT tokens FROM token_usage WHERE scope = ? AND day = ?').pluck(),
    ping: db.prepare('SELECT 1').pluck(),
  };
}

function keyParams(key: NewApiKey) {
  return {
    id: key.id,
    prefix: key.prefix,
    hash: key.hash,
    owner: key.owner,
    kind: key.kind,
    models: JSON.stringify(key.models),
    endpoints: JSON.stringify(key.endpoints),
    createdAt: toMs(key.createdAt),
    expiresAt: toMs(key.expiresAt),
    createdBy: key.createdBy ?? null,
  };
}

function toRecord(row: ApiKeyRow | undefined): ApiKeyRecord | undefined {
  if (row === undefined) return undefined;
  return {
    id: row.id,
    prefix: row.prefix,
    hash: row.hash,
    owner: row.owner,
    kind: row.kind,
    models: JSON.parse(row.models) as string[],
    endpoints: JSON.parse(row.endpoints) as string[],
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    replacedBy: row.replaced_by,
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    createdBy: row.created_by,
  };
}

/** An invalid Date would bind as NULL (or NaN) and silently corrupt ordering and expiry. */
function toMs(date: Date): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new TypeError('store: invalid Date');
  return ms;
}

function assertTokens(tokens: number): void {
  if (!Number.isSafeInteger(tokens)) throw new TypeError('store: token count must be a safe integer');
}

// SQLite result codes that mean "the database cannot serve us right now" rather than a bug in our SQL.
const unavailableCodes =
  /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|NOMEM|PROTOCOL|PERM)/;

function translateError(err: unknown): unknown {
  if (err instanceof AirlockError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return err;
  const detail = `sqlite ${code}: ${(err as Error).message}`;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new AirlockError('conflict', { detail, cause: err });
  }
  if (unavailableCodes.test(code)) return new AirlockError('store_unavailable', { detail, cause: err });
  return err;
}
