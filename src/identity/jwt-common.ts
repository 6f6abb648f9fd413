// Shared by the IdP JWT and task-token authenticators: bearer extraction, a cheap shape check that
// decides abstain vs. mine, the time and lifetime checks jose does not do, and the mapping of jose
// failures to a fixed reason. Reasons go to the audit trail only; a client sees `invalid_token` or
// `expired_token` and nothing that tells an attacker which check failed.
import { hash } from 'node:crypto';
import * as jose from 'jose';
import { type CompactJws, parseCompactJws } from './jws-compact.ts';
import type { AuthRequest, AuthResult } from './types.ts';

/** Larger bearer tokens are refused before any parsing (memory and CPU bound on hostile input). */
export const MAX_TOKEN_BYTES = 8192;

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export type RejectReason =
  | 'too_large'
  | 'malformed'
  | 'alg_not_allowed'
  | 'unknown_issuer'
  | 'unknown_kid'
  | 'key_type_mismatch'
  | 'bad_signature'
  | 'crit_unsupported'
  | 'wrong_typ'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_exp'
  | 'iat_in_future'
  | 'lifetime_over_cap'
  | 'bad_claims'
  | 'wrong_surface'
  | 'revoked'
  | 'jwks_unavailable';

export interface RejectEvent {
  readonly authenticator: string;
  readonly reason: RejectReason | string;
  readonly credentialPrefix?: string;
}

export type OnReject = (event: RejectEvent) => void;

/** `Authorization: Bearer <token>` only (JWTs never travel in x-api-key). */
export function bearerToken(headers: AuthRequest['headers']): string | undefined {
  const auth = headers.authorization;
  if (typeof auth !== 'string') return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
  return m ? m[1] : undefined;
}

export type Shape =
  | { readonly kind: 'not-jwt' }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'malformed' }
  | {
      readonly kind: 'jwt';
      readonly header: jose.ProtectedHeaderParameters;
      readonly payload: jose.JWTPayload;
      /** The token parsed once (strict base64url, RFC 7515 §7.1), for the signature check. */
      readonly jws: CompactJws;
    };

/** Classifies a bearer token without verifying anything. Nothing decoded here may be trusted. */
export function inspectToken(token: string): Shape {
  if (token.length > MAX_TOKEN_BYTES)
    return token.startsWith('eyJ') ? { kind: 'too-large' } : { kind: 'not-jwt' };
  if (!token.startsWith('eyJ') || !JWS_COMPACT.test(token)) return { kind: 'not-jwt' };
  const jws = parseCompactJws(token);
  if (jws === undefined || typeof jws.header.alg !== 'string') return { kind: 'malformed' };
  return {
    kind: 'jwt',
    header: jws.header as jose.ProtectedHeaderParameters,
    payload: jws.payload as jose.JWTPayload,
    jws,
  };
}

/** A stable, non-secret handle for a token in logs: never the token itself. */
export function tokenFingerprint(token: string): string {
  return hash('sha256', token, 'hex').slice(0, 16);
}

/** Maps a jose failure to a reason. Branches on error classes and claim names, never messages. */
export function joseReason(err: unknown): RejectReason {
  if (err instanceof jose.errors.JWTExpired) return err.claim === 'iat' ? 'lifetime_over_cap' : 'expired';
  if (err instanceof jose.errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'not_yet_valid';
    if (err.claim === 'iss') return 'wrong_issuer';
    if (err.claim === 'aud') return 'wrong_audience';
    if (err.claim === 'exp') return 'missing_exp';
    if (err.claim === 'typ') return 'wrong_typ';
    if (err.claim === 'iat') return 'iat_in_future';
    return 'bad_claims';
  }
  if (err instanceof jose.errors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (err instanceof jose.errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof jose.errors.JOSENotSupported) return 'crit_unsupported';
  if (err instanceof KeyResolutionError) return err.reason;
  return 'malformed';
}

/** Thrown by key resolvers so the reason survives jose's call stack. */
export class KeyResolutionError extends Error {
  readonly reason: RejectReason;
  constructor(reason: RejectReason) {
    super(reason);
    this.name = 'KeyResolutionError';
    this.reason = reason;
  }
}

/**
 * Checks jose leaves to us: exp present, iat not in the future beyond the skew, and a bounded
 * lifetime (exp - iat, or exp - now when iat is absent) — no credential without a maximum lifetime.
 */
export function lifetimeReason(
  payload: jose.JWTPayload,
  nowSec: number,
  skewSec: number,
  maxLifetimeSec: number,
): RejectReason | undefined {
  if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) return 'missing_exp';
  if (payload.iat !== undefined && (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)))
    return 'bad_claims';
  if (typeof payload.iat === 'number' && payload.iat > nowSec + skewSec) return 'iat_in_future';
  const issued = typeof payload.iat === 'number' ? payload.iat : nowSec;
  if (payload.exp - issued > maxLifetimeSec) return 'lifetime_over_cap';
  if (payload.exp <= issued) return 'bad_claims';
  return undefined;
}

export function rejectFor(reason: RejectReason, credentialPrefix?: string): AuthResult {
  const code =
    reason === 'expired' ? 'expired_token' : reason === 'revoked' ? 'revoked_token' : 'invalid_token';
  return credentialPrefix === undefined
    ? { kind: 'reject', code }
    : { kind: 'reject', code, credentialPrefix };
}

/**
 * Tokens already verified, by their exact text, until they expire. A bearer token is presented on
 * many requests; its signature check costs 100-250 µs on a small core, the lookup about 1 µs.
 * Only successes are cached (a flood of junk cannot evict much: it never gets in), the size is
 * bounded (oldest generation out first), and an expired entry is never returned. Callers still run per-use
 * checks (revocation) on a hit.
 */
export interface VerifiedCache<T> {
  get(token: string, nowMs: number): T | undefined;
  set(token: string, value: T, validUntilMs: number): void;
  clear(): void;
}

export function createVerifiedCache<T>(maxEntries = 4096): VerifiedCache<T> {
  // Two generations of at most half the size each: when the current one fills up it becomes the
  // previous one and the oldest generation is dropped whole. O(1) per insert, where deleting a Map's
  // first key one at a time walks the tombstones left by earlier deletes.
  const half = Math.max(1, maxEntries >> 1);
  let current = new Map<string, { value: T; until: number }>();
  let previous = new Map<string, { value: T; until: number }>();
  return {
    get(token, nowMs) {
      const e = current.get(token) ?? previous.get(token);
      if (!e) return undefined;
      if (e.until <= nowMs) {
        current.delete(token);
        previous.delete(token);
        return undefined;
      }
      return e.value;
    },
    set(token, value, validUntilMs) {
      if (current.size >= half) {
        previous = current;
        current = new Map();
      }
      current.set(token, { value, until: validUntilMs });
    },
    clear() {
      current.clear();
      previous.clear();
    },
  };
}
