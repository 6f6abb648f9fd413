// Console sessions (OWASP Session Management Cheat Sheet): 256-bit random opaque tokens, stored only
// as SHA-256; a `__Host-` cookie (Secure, HttpOnly, SameSite=Strict, Path=/, no Domain — RFC 6265bis
// §4.1.3.2 so no sibling host or plain-HTTP page can set or read it); a CSRF synchronizer token
// derived from the session token (HMAC), so it is bound to the session and needs no storage; idle and
// absolute timeouts; revocation on logout, password change, TOTP reset and disable.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { durationMs } from '../../config/duration.ts';
import type { ErrorCode } from '../../errors.ts';
import type { UsersConfig } from './config.ts';
import type { SessionRecord, SessionStage, UserRecord, UserRepo } from './user-repo.ts';

export const SESSION_COOKIE = '__Host-airlock_session';
export const CSRF_HEADER = 'x-csrf-token';
const TOKEN = /^als_[A-Za-z0-9_-]{43}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface IssuedSession {
  readonly session: SessionRecord;
  /** The cookie value; shown once, never stored. */
  readonly token: string;
  readonly csrfToken: string;
  /** Ready-to-send Set-Cookie header value. */
  readonly setCookie: string;
}

export type SessionCheck =
  | { readonly kind: 'none' }
  | { readonly kind: 'reject'; readonly code: ErrorCode }
  | {
      readonly kind: 'valid';
      readonly session: SessionRecord;
      readonly user: UserRecord;
      readonly token: string;
      /** When the session ends if unused: min(absolute expiry, last seen + idle timeout). */
      readonly expiresAt: number;
    };

export interface SessionManager {
  issue(user: UserRecord, stage: SessionStage, clientAddress: string): Promise<IssuedSession>;
  /** Reads the cookie; for an unsafe (or unknown) method also requires a matching CSRF header. */
  check(
    headers: Readonly<Record<string, string | string[] | undefined>>,
    method?: string,
  ): Promise<SessionCheck>;
  revoke(session: SessionRecord): Promise<void>;
  revokeAllForUser(userId: string): Promise<number>;
  /** Set-Cookie value that deletes the cookie. */
  readonly clearCookie: string;
  csrfTokenFor(token: string): string;
}

export interface SessionManagerDeps {
  readonly repo: UserRepo;
  readonly now?: () => number;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  let found: string | undefined;
  for (const h of values)
    for (const part of h.split(';')) {
      const i = part.indexOf('=');
      if (i < 0 || part.slice(0, i).trim() !== name) continue;
      // Two cookies of our name (one planted by a sibling) is ambiguous: refuse both.
      if (found !== undefined) return '';
      found = part.slice(i + 1).trim();
    }
  return found;
}

export function createSessionManager(
  config: UsersConfig['session'],
  deps: SessionManagerDeps,
): SessionManager {
  const now = deps.now ?? Date.now;
  const idleMs = durationMs(config.idleTimeout);
  const absoluteMs = durationMs(config.absoluteTimeout);
  // Recording every request's time would be a write per console click; a coarser touch only makes the
  // idle timeout end up to this much early, never late.
  const touchMs = Math.min(60_000, Math.floor(idleMs / 10));

  const csrfTokenFor = (token: string) =>
    createHmac('sha256', token).update('airlock-csrf:v1').digest('base64url');

  const cookie = (token: string, maxAgeS: number) =>
    `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAgeS}; Secure; HttpOnly; SameSite=Strict`;

  const manager: SessionManager & { [inspect.custom](): string } = {
    clearCookie: `${SESSION_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict`,
    csrfTokenFor,

    async issue(user, stage, clientAddress) {
      const t = now();
      const token = `als_${randomBytes(32).toString('base64url')}`;
      // An enrolment-only session is short: it exists to finish enrolment, nothing else.
      const life = stage === 'enroll' ? Math.min(absoluteMs, 10 * 60_000) : absoluteMs;
      const session: SessionRecord = {
        id: `ses_${randomUUID()}`,
        tokenHash: hashToken(token),
        userId: user.id,
        stage,
        clientAddress,
        createdAt: t,
        lastSeenAt: t,
        expiresAt: t + life,
        revokedAt: null,
      };
      await deps.repo.insertSession(session);
      const issued = {
        session,
        token,
        csrfToken: csrfTokenFor(token),
        setCookie: cookie(token, Math.floor(life / 1000)),
      };
      return Object.defineProperty(issued, inspect.custom, { value: () => `[IssuedSession ${session.id}]` });
    },

    async check(headers, method) {
      const token = readCookie(headers.cookie, SESSION_COOKIE);
      if (token === undefined) return { kind: 'none' };
      if (!TOKEN.test(token)) return { kind: 'reject', code: 'invalid_session' };
      const session = await deps.repo.findSessionByTokenHash(hashToken(token));
      const t = now();
      if (
        !session ||
        session.revokedAt !== null ||
        t >= session.expiresAt ||
        t - session.lastSeenAt >= idleMs
      )
        return { kind: 'reject', code: 'invalid_session' };
      const user = await deps.repo.getUser(session.userId);
      if (!user || user.disabledAt !== null || user.passwordChangedAt > session.createdAt)
        return { kind: 'reject', code: 'invalid_session' };
      if (!SAFE_METHODS.has((method ?? 'POST').toUpperCase())) {
        const presented = headers[CSRF_HEADER];
        const expected = Buffer.from(csrfTokenFor(token));
        const got = Buffer.from(typeof presented === 'string' ? presented : '');
        if (got.length !== expected.length || !timingSafeEqual(got, expected))
          return { kind: 'reject', code: 'csrf_failed' };
      }
      if (t - session.lastSeenAt >= touchMs) await deps.repo.touchSession(session.id, t);
      return {
        kind: 'valid',
        session,
        user,
        token,
        expiresAt: Math.min(session.expiresAt, Math.max(t, session.lastSeenAt) + idleMs),
      };
    },

    async revoke(session) {
      await deps.repo.revokeSession(session.id, now());
    },

    async revokeAllForUser(userId) {
      return deps.repo.revokeUserSessions(userId, now());
    },

    [inspect.custom]: () => '[SessionManager]',
  };
  return manager;
}
