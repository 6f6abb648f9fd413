// SQLite revocation store: its own small file in dataDir (0600, WAL, synchronous=FULL), so a
// revocation survives a restart and is seen by every process on this node. Replicas sharing a
// PostgreSQL store need the same table there (proposed as a store migration).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AirlockError } from '../errors.ts';
import type { RevocationStore } from './revocation-store.ts';

const SCHEMA = `CREATE TABLE IF NOT EXISTS task_token_revocations (
  kind TEXT NOT NULL CHECK (kind IN ('task', 'jti')),
  id TEXT NOT NULL,
  until_ms INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID`;

export function openSqliteRevocationStore(path: string): RevocationStore {
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, '', { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    db = new Database(path, { timeout: 5000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
  } catch (err) {
    throw new AirlockError('store_unavailable', { detail: `revocations: cannot open ${path}`, cause: err });
  }
  const upsert = db.prepare(
    `INSERT INTO task_token_revocations (kind, id, until_ms) VALUES (?, ?, ?)
     ON CONFLICT (kind, id) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)`,
  );
  const lookup = db.prepare(
    `SELECT 1 FROM task_token_revocations
     WHERE ((kind = 'task' AND id = ?) OR (kind = 'jti' AND id = ?)) AND until_ms > ? LIMIT 1`,
  );
  const prune = db.prepare('DELETE FROM task_token_revocations WHERE until_ms <= ?');
  const run = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new AirlockError('store_unavailable', { detail: 'revocations: sqlite error', cause: err });
    }
  };
  return {
    async revokeTask(taskId, until) {
      run(() => upsert.run('task', taskId, until.getTime()));
    },
    async revokeToken(jti, until) {
      run(() => upsert.run('jti', jti, until.getTime()));
    },
    async isRevoked(ref, now) {
      return run(() => lookup.get(ref.taskId ?? null, ref.jti ?? null, now.getTime()) !== undefined);
    },
    async prune(now) {
      return run(() => prune.run(now.getTime()).changes);
    },
    close() {
      db.close();
    },
  };
}
