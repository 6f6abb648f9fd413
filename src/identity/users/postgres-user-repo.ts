// UserRepo on PostgreSQL, over the side connection (src/secrets/side-connection.ts).
import type { SideConnection } from '../../secrets/side-connection.ts';
import type { SessionRecord, UserRecord, UserRepo } from './user-repo.ts';

type PgConn = Extract<SideConnection, { driver: 'postgres' }>;

interface UserRow {
  id: string;
  name: string;
  role: UserRecord['role'];
  password_hash: string;
  password_changed_at: Date;
  totp_state: UserRecord['totpState'];
  totp_last_step: string | null;
  created_at: Date;
  disabled_at: Date | null;
}

interface SessionRow {
  id: string;
  token_hash: string;
  user_id: string;
  stage: SessionRecord['stage'];
  client_address: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

const ms = (d: Date | null) => (d === null ? null : d.getTime());
const date = (n: number | null) => (n === null ? null : new Date(n));

const toUser = (r: UserRow | undefined): UserRecord | undefined =>
  r && {
    id: r.id,
    name: r.name,
    role: r.role,
    passwordHash: r.password_hash,
    passwordChangedAt: r.password_changed_at.getTime(),
    totpState: r.totp_state,
    // bigint arrives as a string; steps stay far below 2^53.
    totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
    createdAt: r.created_at.getTime(),
    disabledAt: ms(r.disabled_at),
  };

const toSession = (r: SessionRow | undefined): SessionRecord | undefined =>
  r && {
    id: r.id,
    tokenHash: r.token_hash,
    userId: r.user_id,
    stage: r.stage,
    clientAddress: r.client_address,
    createdAt: r.created_at.getTime(),
    lastSeenAt: r.last_seen_at.getTime(),
    expiresAt: r.expires_at.getTime(),
    revokedAt: ms(r.revoked_at),
  };

export function createPostgresUserRepo(conn: PgConn): UserRepo {
  const q = async <R>(text: string, values: unknown[] = []) => {
    try {
      const r = await conn.pool.query(text, values);
      return { rows: r.rows as R[], count: r.rowCount ?? 0 };
    } catch (err) {
      throw conn.translate(err);
    }
  };
  return {
    async insertUser(u) {
      await q(
        `INSERT INTO users (id, name, role, password_hash, password_changed_at, totp_state, totp_last_step, created_at, disabled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          u.id,
          u.name,
          u.role,
          u.passwordHash,
          new Date(u.passwordChangedAt),
          u.totpState,
          u.totpLastStep,
          new Date(u.createdAt),
          date(u.disabledAt),
        ],
      );
    },
    async getUser(id) {
      return toUser((await q<UserRow>('SELECT * FROM users WHERE id = $1', [id])).rows[0]);
    },
    async findUserByName(name) {
      return toUser((await q<UserRow>('SELECT * FROM users WHERE name = $1', [name])).rows[0]);
    },
    async listUsers() {
      return (await q<UserRow>('SELECT * FROM users ORDER BY created_at, id')).rows.map((r) => toUser(r)!);
    },
    async setPasswordHash(id, hash, changedAt) {
      await q(
        'UPDATE users SET password_hash = $2, password_changed_at = coalesce($3, password_changed_at) WHERE id = $1',
        [id, hash, date(changedAt)],
      );
    },
    async setTotpState(id, state, lastStep = null) {
      await q('UPDATE users SET totp_state = $2, totp_last_step = $3 WHERE id = $1', [id, state, lastStep]);
    },
    async consumeTotpStep(id, step) {
      const r = await q(
        'UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)',
        [id, step],
      );
      return r.count === 1;
    },
    async disableUser(id, at) {
      const r = await q('UPDATE users SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL', [
        id,
        new Date(at),
      ]);
      return r.count === 1;
    },
    async insertSession(s) {
      await q(
        `INSERT INTO user_sessions (id, token_hash, user_id, stage, client_address, created_at, last_seen_at, expires_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          s.id,
          s.tokenHash,
          s.userId,
          s.stage,
          s.clientAddress,
          new Date(s.createdAt),
          new Date(s.lastSeenAt),
          new Date(s.expiresAt),
          date(s.revokedAt),
        ],
      );
    },
    async findSessionByTokenHash(hash) {
      return toSession(
        (await q<SessionRow>('SELECT * FROM user_sessions WHERE token_hash = $1', [hash])).rows[0],
      );
    },
    async lastActivity() {
      const rows = (
        await q<{ user_id: string; at: Date }>(
          'SELECT user_id, max(last_seen_at) AS at FROM user_sessions GROUP BY user_id',
        )
      ).rows;
      return new Map(rows.map((r) => [r.user_id, r.at.getTime()]));
    },
    async touchSession(id, at) {
      await q('UPDATE user_sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2', [
        id,
        new Date(at),
      ]);
    },
    async revokeSession(id, at) {
      await q('UPDATE user_sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [
        id,
        new Date(at),
      ]);
    },
    async revokeUserSessions(userId, at) {
      return (
        await q('UPDATE user_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL', [
          userId,
          new Date(at),
        ])
      ).count;
    },
    async getThrottle(key) {
      const r = (
        await q<{ failures: number; last_failure_at: Date; locked_until: Date }>(
          'SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE key = $1',
          [key],
        )
      ).rows[0];
      return (
        r && {
          failures: r.failures,
          lastFailureAt: r.last_failure_at.getTime(),
          lockedUntil: r.locked_until.getTime(),
        }
      );
    },
    async recordFailure(key, now, resetAfterMs) {
      const r = await q<{ failures: number }>(
        `INSERT INTO login_throttle AS t (key, failures, last_failure_at, locked_until)
           VALUES ($1, 1, $2::timestamptz, to_timestamp(0))
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN $2::timestamptz - t.last_failure_at > make_interval(secs => $3::float8 / 1000.0) THEN 1 ELSE t.failures + 1 END,
           last_failure_at = GREATEST(t.last_failure_at, $2::timestamptz)
         RETURNING failures`,
        [key, new Date(now), resetAfterMs],
      );
      return r.rows[0]!.failures;
    },
    async lockUntil(key, until) {
      await q('UPDATE login_throttle SET locked_until = GREATEST(locked_until, $2) WHERE key = $1', [
        key,
        new Date(until),
      ]);
    },
    async clearThrottle(key) {
      await q('DELETE FROM login_throttle WHERE key = $1', [key]);
    },
    async ping() {
      try {
        await conn.pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
  };
}
