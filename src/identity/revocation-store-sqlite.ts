// Task-token revocations on SQLite: the store's own database (table from migration
// 0003_task_token_revocations), read and written through the side connection the vault and users
// share, so every process on this node sees a revocation as soon as it is committed (WAL,
// synchronous=FULL). openNodeRevocationFile is for a gateway built without the store plane (tests).
import { readFileSync } from 'node:fs';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { AirlockError } from '../errors.ts';
import { translateSqliteError } from '../secrets/side-connection.ts';
import { openPrivateSqliteFile } from '../store/private-sqlite-file.ts';
import type { RevocationEntry, RevocationStore } from './revocation-store.ts';

interface Row {
  kind: 'task' | 'jti';
  id: string;
  until_ms: number;
  revoked_at: number;
}

export function createSqliteRevocationStore(
  db: SqliteDatabase,
  opts: { now?: () => number; close?: () => void } = {},
): RevocationStore {
  const clock = opts.now ?? Date.now;
  let s:
    | {
        upsert: Statement<unknown[]>;
        lookup: Statement<unknown[]>;
        list: Statement<unknown[]>;
        prune: Statement<unknown[]>;
      }
    | undefined;
  // Prepared on first use: the table exists only once the store has migrated.
  const run = <T>(fn: (st: NonNullable<typeof s>) => T): T => {
    try {
      s ??= {
        upsert: db.prepare(
          `INSERT INTO task_token_revocations (kind, id, until_ms, revoked_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (kind, id) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)`,
        ),
        lookup: db.prepare(
          `SELECT 1 FROM task_token_revocations
           WHERE ((kind = 'task' AND id = ?) OR (kind = 'jti' AND id = ?)) AND until_ms > ? LIMIT 1`,
        ),
        list: db.prepare(
          `SELECT kind, id, until_ms, revoked_at FROM task_token_revocations WHERE until_ms > ?
           ORDER BY revoked_at DESC, kind, id`,
        ),
        prune: db.prepare('DELETE FROM task_token_revocations WHERE until_ms <= ?'),
      };
      return fn(s);
    } catch (err) {
      const e = translateSqliteError(err);
      if (e instanceof AirlockError) throw e;
      throw new AirlockError('store_unavailable', { detail: 'revocations: sqlite error', cause: err });
    }
  };
  return {
    async revokeTask(taskId, until) {
      run((st) => st.upsert.run('task', taskId, until.getTime(), clock()));
    },
    async revokeToken(jti, until) {
      run((st) => st.upsert.run('jti', jti, until.getTime(), clock()));
    },
    async isRevoked(ref, now) {
      return run((st) => st.lookup.get(ref.taskId ?? null, ref.jti ?? null, now.getTime()) !== undefined);
    },
    async list(now) {
      return run((st) => (st.list.all(now.getTime()) as Row[]).map(toEntry));
    },
    async prune(now) {
      return run((st) => st.prune.run(now.getTime()).changes);
    },
    close() {
      opts.close?.();
    },
  };
}

export function toEntry(r: Row): RevocationEntry {
  return {
    kind: r.kind,
    id: r.id,
    until: new Date(Number(r.until_ms)),
    revokedAt: new Date(Number(r.revoked_at)),
  };
}

const MIGRATION = new URL('../store/migrations/sqlite/0003_task_token_revocations.sql', import.meta.url);

/** Node-local revocations in their own 0600 file (a gateway built without the store plane). */
export function openNodeRevocationFile(path: string): RevocationStore {
  let db: SqliteDatabase;
  try {
    db = openPrivateSqliteFile(path, 'FULL');
    const exists = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'task_token_revocations'")
      .get();
    if (!exists) db.exec(readFileSync(MIGRATION, 'utf8'));
  } catch (err) {
    throw new AirlockError('store_unavailable', { detail: `revocations: cannot open ${path}`, cause: err });
  }
  return createSqliteRevocationStore(db, { close: () => db.close() });
}
