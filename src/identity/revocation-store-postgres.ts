// Task-token revocations on PostgreSQL (table from migration 0003_task_token_revocations), over the
// side connection the vault and users share. Replicas on one database see each other's revocations
// on their next read: nothing is cached (revocation-store.ts).
import type { SideConnection } from '../secrets/side-connection.ts';
import type { RevocationStore } from './revocation-store.ts';
import { toEntry } from './revocation-store-sqlite.ts';

type PgConn = Extract<SideConnection, { driver: 'postgres' }>;

export function createPostgresRevocationStore(
  conn: PgConn,
  opts: { now?: () => number } = {},
): RevocationStore {
  const clock = opts.now ?? Date.now;
  const query = async <R>(text: string, values: unknown[]): Promise<R[]> => {
    try {
      return (await conn.pool.query({ text, values })).rows as R[];
    } catch (err) {
      throw conn.translate(err);
    }
  };
  const upsert = (kind: 'task' | 'jti', id: string, until: Date) =>
    query(
      `INSERT INTO task_token_revocations (kind, id, until_ms, revoked_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kind, id) DO UPDATE
         SET until_ms = greatest(task_token_revocations.until_ms, excluded.until_ms)`,
      [kind, id, until.getTime(), clock()],
    );
  return {
    async revokeTask(taskId, until) {
      await upsert('task', taskId, until);
    },
    async revokeToken(jti, until) {
      await upsert('jti', jti, until);
    },
    async isRevoked(ref, now) {
      const rows = await query(
        `SELECT 1 FROM task_token_revocations
         WHERE ((kind = 'task' AND id = $1) OR (kind = 'jti' AND id = $2)) AND until_ms > $3 LIMIT 1`,
        [ref.taskId ?? null, ref.jti ?? null, now.getTime()],
      );
      return rows.length > 0;
    },
    async list(now) {
      const rows = await query<Parameters<typeof toEntry>[0]>(
        `SELECT kind, id, until_ms, revoked_at FROM task_token_revocations WHERE until_ms > $1
         ORDER BY revoked_at DESC, kind, id`,
        [now.getTime()],
      );
      return rows.map(toEntry);
    },
    async prune(now) {
      const rows = await query('DELETE FROM task_token_revocations WHERE until_ms <= $1 RETURNING 1', [
        now.getTime(),
      ]);
      return rows.length;
    },
    close() {},
  };
}
