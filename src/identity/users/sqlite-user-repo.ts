// UserRepo on SQLite, over the side connection (src/secrets/side-connection.ts) to the store's file.
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { translateSqliteError } from '../../secrets/side-connection.ts';
import type { SessionRecord, UserRecord, UserRepo } from './user-repo.ts';

interface UserRow {
  id: string;
  name: string;
  role: UserRecord['role'];
  password_hash: string;
  password_changed_at: number;
  totp_state: UserRecord['totpState'];
  totp_last_step: number | null;
  created_at: number;
  disabled_at: number | null;
}

interface SessionRow {
  id: string;
  token_hash: string;
  user_id: string;
  stage: SessionRecord['stage'];
  client_address: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
}

const toUser = (r: UserRow | undefined): UserRecord | undefined =>
  r && {
    id: r.id,
    name: r.name,
    role: r.role,
    passwordHash: r.password_hash,
    passwordChangedAt: r.password_changed_at,
    totpState: r.totp_state,
    totpLastStep: r.totp_last_step,
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
  };

const toSession = (r: SessionRow | undefined): SessionRecord | undefined =>
  r && {
    id: r.id,
    tokenHash: r.token_hash,
    userId: r.user_id,
    stage: r.stage,
    clientAddress: r.client_address,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };

export function createSqliteUserRepo(db: SqliteDatabase): UserRepo {
  // Each statement is prepared once: preparing costs more than running a point lookup, and the session
  // check runs on every console request.
  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let st = statements.get(sql);
    if (!st) {
      st = db.prepare(sql);
      statements.set(sql, st);
    }
    return st;
  };
  const run = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(translateSqliteError(err));
    }
  };
  return {
    insertUser: (u) =>
      run(() => {
        prepare(
          `INSERT INTO users (id, name, role, password_hash, password_changed_at, totp_state, totp_last_step, created_at, disabled_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          u.id,
          u.name,
          u.role,
          u.passwordHash,
          u.passwordChangedAt,
          u.totpState,
          u.totpLastStep,
          u.createdAt,
          u.disabledAt,
        );
      }),
    getUser: (id) =>
      run(() => toUser(prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined)),
    findUserByName: (name) =>
      run(() => toUser(prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined)),
    listUsers: () =>
      run(() =>
        (prepare('SELECT * FROM users ORDER BY created_at, id').all() as UserRow[]).map((r) => toUser(r)!),
      ),
    setPasswordHash: (id, hash, changedAt) =>
      run(() => {
        prepare(
          'UPDATE users SET password_hash = ?, password_changed_at = coalesce(?, password_changed_at) WHERE id = ?',
        ).run(hash, changedAt, id);
      }),
    setTotpState: (id, state, lastStep = null) =>
      run(() => {
        prepare('UPDATE users SET totp_state = ?, totp_last_step = ? WHERE id = ?').run(state, lastStep, id);
      }),
    consumeTotpStep: (id, step) =>
      run(
        () =>
          db
            .prepare(
              'UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)',
            )
            .run(step, id, step).changes === 1,
      ),
    disableUser: (id, at) =>
      run(
        () =>
          prepare('UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL').run(at, id)
            .changes === 1,
      ),
    insertSession: (s) =>
      run(() => {
        prepare(
          `INSERT INTO user_sessions (id, token_hash, user_id, stage, client_address, created_at, last_seen_at, expires_at, revoked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          s.id,
          s.tokenHash,
          s.userId,
          s.stage,
          s.clientAddress,
          s.createdAt,
          s.lastSeenAt,
          s.expiresAt,
          s.revokedAt,
        );
      }),
    findSessionByTokenHash: (hash) =>
      run(() =>
        toSession(
          prepare('SELECT * FROM user_sessions WHERE token_hash = ?').get(hash) as SessionRow | undefined,
        ),
      ),
    lastActivity: () =>
      run(() => {
        const rows = db
          .prepare('SELECT user_id, max(last_seen_at) AS at FROM user_sessions GROUP BY user_id')
          .all() as { user_id: string; at: number }[];
        return new Map(rows.map((r) => [r.user_id, r.at]));
      }),
    touchSession: (id, at) =>
      run(() => {
        prepare('UPDATE user_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?').run(
          at,
          id,
          at,
        );
      }),
    revokeSession: (id, at) =>
      run(() => {
        prepare('UPDATE user_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
      }),
    revokeUserSessions: (userId, at) =>
      run(
        () =>
          db
            .prepare('UPDATE user_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL')
            .run(at, userId).changes,
      ),
    getThrottle: (key) =>
      run(() => {
        const r = db
          .prepare('SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE key = ?')
          .get(key) as { failures: number; last_failure_at: number; locked_until: number } | undefined;
        return r && { failures: r.failures, lastFailureAt: r.last_failure_at, lockedUntil: r.locked_until };
      }),
    recordFailure: (key, now, resetAfterMs) =>
      run(
        () =>
          db
            .prepare(
              `INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES (@key, 1, @now, 0)
               ON CONFLICT (key) DO UPDATE SET
                 failures = CASE WHEN @now - last_failure_at > @reset THEN 1 ELSE failures + 1 END,
                 last_failure_at = max(last_failure_at, @now)
               RETURNING failures`,
            )
            .pluck()
            .get({ key, now, reset: resetAfterMs }) as number,
      ),
    lockUntil: (key, until) =>
      run(() => {
        prepare('UPDATE login_throttle SET locked_until = max(locked_until, ?) WHERE key = ?').run(
          until,
          key,
        );
      }),
    clearThrottle: (key) =>
      run(() => {
        prepare('DELETE FROM login_throttle WHERE key = ?').run(key);
      }),
    ping: async () => {
      try {
        return db.open && prepare('SELECT 1').pluck().get() === 1;
      } catch {
        return false;
      }
    },
  };
}
