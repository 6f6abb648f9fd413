// PostgreSQL driver: for replicas sharing one database (DESIGN §4). Multi-statement writes run in one
// transaction on one pooled client; migrate() serialises replicas with a transaction-scoped advisory
// lock; token usage is a single atomic upsert so concurrent replicas never lose counts.
// Error details name the server through redactPostgresUrl and are scrubbed of the URL's password;
// the raw driver error is not attached as `cause`, so a logger cannot leak it either.

import type { Pool, PoolClient } from 'pg';
import pg from 'pg';
import { AirlockError } from '../errors.ts';
import { type AppliedMigration, loadMigrations, pendingMigrations } from './migrations.ts';
import { checkOutClient } from './pg-checkout.ts';
import { postgresUrlSecrets, redactPostgresUrl, scrubSecrets } from './postgres-url.ts';
import type { ApiKeyRecord, NewApiKey, Store } from './types.ts';

export interface PostgresStoreOptions {
  /** postgres:// URL. Its password never appears in errors or logs. */
  readonly url: string;
  /** Pool size; default 10. */
  readonly maxConnections?: number;
  /** How long to wait for a connection before reporting store_unavailable; default 5000 ms. */
  readonly connectTimeoutMs?: number;
}

interface ApiKeyRow {
  id: string;
  prefix: string;
  hash: string;
  owner: string;
  kind: 'client' | 'admin';
  models: string[];
  endpoints: string[];
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  replaced_by: string | null;
  last_used_at: Date | null;
  created_by: string | null;
}

const migrationsDir = new URL('./migrations/postgres/', import.meta.url);

/** Advisory lock id for migrations: ASCII "airlockm" as a bigint, unlikely to collide with other apps. */
const migrationLockId = '7019267304284449645';

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer     NOT NULL PRIMARY KEY,
  name       text        NOT NULL,
  applied_at timestamptz NOT NULL,
  checksum   text        NOT NULL
)`;

const columns =
  'id, prefix, hash, owner, kind, models, endpoints, created_at, expires_at, revoked_at, replaced_by, last_used_at, created_by';

const insertKey = `INSERT INTO api_keys (id, prefix, hash, owner, kind, models, endpoints, created_at, expires_at, created_by)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;

export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const migrations = loadMigrations(migrationsDir);
  const where = redactPostgresUrl(options.url);
  const secrets = postgresUrlSecrets(options.url);
  const translate = (err: unknown) => translateError(err, where, secrets);

  const pool: Pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    keepAlive: true,
    // The contract promises durable writes: refuse synchronous_commit=off for our sessions, but keep any
    // stronger setting (remote_apply …) the operator chose. Runs before the connection is handed out.
    onConnect: async (client) => {
      await client.query(
        "SELECT set_config('synchronous_commit', 'on', false) WHERE current_setting('synchronous_commit') = 'off'",
      );
    },
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled it would crash the process.
  // The pool drops that client, the next query reconnects, and ping() reports the outage meanwhile.
  pool.on('error', () => {});

  // Fail fast at start-up, with a redacted reason, rather than on the first request.
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    // pg parses the URL only now; a malformed one is a configuration mistake, not an outage.
    if (err instanceof TypeError) {
      throw new AirlockError('config_invalid', {
        detail: scrubSecrets(`postgres ${where}: ${err.message}`, secrets),
      });
    }
    throw translate(err);
  }

  let closed = false;
  const query = async <R extends object>(text: string, values: unknown[] = []) => {
    try {
      return await pool.query<R & pg.QueryResultRow>(text, values);
    } catch (err) {
      throw translate(err);
    }
  };
  const transaction = async <T>(fn: (client: PoolClient) => Promise<T>): Promise<T> => {
    try {
      return await inTransaction(pool, fn);
    } catch (err) {
      throw translate(err);
    }
  };

  return {
    driver: 'postgres',

    async migrate() {
      await transaction(async (client) => {
        // Transaction-scoped: released on COMMIT/ROLLBACK or if this replica dies mid-migration.
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockId]);
        await client.query(createMigrationsTable);
        const applied = await client.query<AppliedMigration>(
          'SELECT version, name, checksum FROM schema_migrations',
        );
        for (const migration of pendingMigrations(migrations, applied.rows, 'postgres')) {
          await client.query(migration.sql);
          await client.query(
            'INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1, $2, now(), $3)',
            [migration.version, migration.name, migration.checksum],
          );
        }
      });
    },

    async ping() {
      if (closed) return false;
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },

    async insertApiKey(key: NewApiKey) {
      await query(insertKey, keyValues(key));
    },

    async findApiKeyByHash(hash: string) {
      const { rows } = await query<ApiKeyRow>(`SELECT ${columns} FROM api_keys WHERE hash = $1`, [hash]);
      return toRecord(rows[0]);
    },

    async getApiKey(id: string) {
      const { rows } = await query<ApiKeyRow>(`SELECT ${columns} FROM api_keys WHERE id = $1`, [id]);
      return toRecord(rows[0]);
    },

    async listApiKeys(filter = {}) {
      const includeRevoked = filter.includeRevoked === true;
      const { rows } =
        filter.owner === undefined
          ? await query<ApiKeyRow>(
              `SELECT ${columns} FROM api_keys WHERE ($1 OR revoked_at IS NULL) ORDER BY created_at, id`,
              [includeRevoked],
            )
          : await query<ApiKeyRow>(
              `SELECT ${columns} FROM api_keys WHERE owner = $1 AND ($2 OR revoked_at IS NULL)
               ORDER BY created_at, id`,
              [filter.owner, includeRevoked],
            );
      return rows.map((row) => toRecord(row)!);
    },

    async listApiKeysCreatedBy(owner: string, creator: string) {
      const { rows } = await query<ApiKeyRow>(
        `SELECT ${columns} FROM api_keys WHERE owner = $1 AND created_by = $2 ORDER BY created_at, id`,
        [owner, creator],
      );
      return rows.map((row) => toRecord(row)!);
    },

    async revokeApiKey(id: string, at: Date) {
      const result = await query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [
        id,
        checkDate(at),
      ]);
      return result.rowCount === 1;
    },

    async rotateApiKey(oldId: string, next: NewApiKey, overlapUntil: Date) {
      // Validate outside the transaction so a bad argument is a TypeError, not store_unavailable.
      const values = keyValues(next);
      const until = checkDate(overlapUntil);
      return transaction(async (client) => {
        // FOR UPDATE: a concurrent revoke or rotate of the same key waits for us, then sees our result.
        const old = await client.query<{ revoked_at: Date | null }>(
          'SELECT revoked_at FROM api_keys WHERE id = $1 FOR UPDATE',
          [oldId],
        );
        const row = old.rows[0];
        if (row === undefined || row.revoked_at !== null) return false;
        await client.query(insertKey, values);
        await client.query(
          'UPDATE api_keys SET replaced_by = $2, expires_at = LEAST(expires_at, $3) WHERE id = $1',
          [oldId, next.id, until],
        );
        return true;
      });
    },

    async touchApiKey(id: string, at: Date) {
      // Only moves forward, so replicas touching out of order never make a key look idle.
      await query(
        'UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)',
        [id, checkDate(at)],
      );
    },

    async addTokenUsage(scope: string, day: string, tokens: number) {
      if (!Number.isSafeInteger(tokens)) throw new TypeError('store: token count must be a safe integer');
      await query(
        `INSERT INTO token_usage (scope, day, tokens) VALUES ($1, $2, $3)
         ON CONFLICT (scope, day) DO UPDATE SET tokens = token_usage.tokens + excluded.tokens`,
        [scope, day, tokens],
      );
    },

    async getTokenUsage(scope: string, day: string) {
      const { rows } = await query<{ tokens: string }>(
        'SELECT tokens FROM token_usage WHERE scope = $1 AND day = $2',
        [scope, day],
      );
      // bigint arrives as a string; budgets stay far below 2^53.
      return rows[0] === undefined ? 0 : Number(rows[0].tokens);
    },
  };
}

async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await checkOutClient(pool);
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
      // The connection is unusable: destroy it instead of returning it to the pool.
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

function keyValues(key: NewApiKey): unknown[] {
  return [
    key.id,
    key.prefix,
    key.hash,
    key.owner,
    key.kind,
    [...key.models],
    [...key.endpoints],
    checkDate(key.createdAt),
    checkDate(key.expiresAt),
    key.createdBy ?? null,
  ];
}

function toRecord(row: ApiKeyRow | undefined): ApiKeyRecord | undefined {
  if (row === undefined) return undefined;
  return {
    id: row.id,
    prefix: row.prefix,
    hash: row.hash,
    owner: row.owner,
    kind: row.kind,
    models: row.models,
    endpoints: row.endpoints,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    replacedBy: row.replaced_by,
    lastUsedAt: row.last_used_at,
    createdBy: row.created_by,
  };
}

/** An invalid Date would be sent as 'Invalid Date' or NULL and corrupt ordering and expiry. */
function checkDate(date: Date): Date {
  if (!Number.isFinite(date.getTime())) throw new TypeError('store: invalid Date');
  return date;
}

// SQLSTATE classes meaning "the database cannot serve us right now": connection exception (08),
// invalid authorization (28), unknown database (3D000), insufficient resources (53), operator
// intervention such as shutdown (57), system error (58), and a read-only standby after failover (25006).
const unavailableState = /^(08|28|53|57|58)|^3D000$|^25006$/;

function translateError(err: unknown, where: string, secrets: readonly string[]): unknown {
  if (err instanceof AirlockError || err instanceof TypeError || err instanceof RangeError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const detail = scrubSecrets(
    `postgres ${where}: ${typeof code === 'string' ? `${code} ` : ''}${message}`,
    secrets,
  );
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  if (sqlState === '23505') return new AirlockError('conflict', { detail });
  // No SQLSTATE: a socket, DNS, TLS or pool-timeout failure before the server answered.
  if (sqlState === undefined || unavailableState.test(sqlState)) {
    return new AirlockError('store_unavailable', { detail });
  }
  return err;
}
