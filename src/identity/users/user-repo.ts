// Persistence contract for local users, console sessions and login throttling (tables from migration
// 0002_vault_users). sqlite-user-repo.ts and postgres-user-repo.ts implement it; one suite runs both.
//
// Contract:
// - Only password hashes (PHC argon2id strings) and SHA-256 hashes of session tokens are stored.
// - consumeTotpStep MUST be atomic: of two concurrent logins with the same code, one wins.
// - Times are epoch milliseconds. Unreachable database → AirlockError('store_unavailable');
//   a duplicate name → AirlockError('conflict').
// - recordFailure MUST be one atomic increment.
import type { ThrottleState } from './throttle.ts';

export type UserRole = 'admin' | 'user';
export type TotpState = 'none' | 'pending' | 'enabled';

export interface UserRecord {
  readonly id: string;
  /** Normalised (NFC, lower case). */
  readonly name: string;
  readonly role: UserRole;
  readonly passwordHash: string;
  readonly passwordChangedAt: number;
  readonly totpState: TotpState;
  readonly totpLastStep: number | null;
  readonly createdAt: number;
  readonly disabledAt: number | null;
}

export type SessionStage = 'full' | 'enroll';

export interface SessionRecord {
  readonly id: string;
  readonly tokenHash: string;
  readonly userId: string;
  readonly stage: SessionStage;
  readonly clientAddress: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** Absolute expiry. */
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

export interface UserRepo {
  insertUser(user: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | undefined>;
  findUserByName(name: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  setPasswordHash(id: string, hash: string, changedAt: number | null): Promise<void>;
  /** Sets the TOTP state; 'none' and 'pending' also clear the last used step. */
  setTotpState(id: string, state: TotpState, lastStep?: number | null): Promise<void>;
  /** Records `step` as used iff it is later than the last used one; false means replay. */
  consumeTotpStep(id: string, step: number): Promise<boolean>;
  disableUser(id: string, at: number): Promise<boolean>;

  insertSession(session: SessionRecord): Promise<void>;
  findSessionByTokenHash(hash: string): Promise<SessionRecord | undefined>;
  touchSession(id: string, at: number): Promise<void>;
  revokeSession(id: string, at: number): Promise<void>;
  /** Revokes every live session of the user (password change, disable, TOTP reset). */
  revokeUserSessions(userId: string, at: number): Promise<number>;
  /** Latest session activity (login or later use) per user id; users who never logged in are absent.
   *  Sessions are kept after they end, so this is the user's last use of the console. */
  lastActivity(): Promise<Map<string, number>>;

  getThrottle(key: string): Promise<ThrottleState | undefined>;
  /** Atomically counts one failure (restarting from 1 after `resetAfterMs` of quiet); returns the count.
   *  Atomic so parallel guesses cannot be counted as one. */
  recordFailure(key: string, now: number, resetAfterMs: number): Promise<number>;
  /** Never shortens an existing lock. */
  lockUntil(key: string, until: number): Promise<void>;
  clearThrottle(key: string): Promise<void>;
  ping(): Promise<boolean>;
}
