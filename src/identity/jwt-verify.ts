// Verifies a parsed JWT (jws-compact.ts) against one issuer's rules, with the checks and the order
// of jose 6's jwtVerify (which this replaces on the hot path; test/security/jwt-differential.test.ts
// holds the two to the same verdicts), so each refusal maps to the same reason:
//   crit (RFC 7515 §4.1.11: only `b64` is understood; anything else is refused) → alg present →
//   alg allowlist (never `none`) → key by kid, type matched to alg (RFC 8725 §3.1) → signature →
//   JWTs never use an unencoded payload (RFC 7797 §7) → iss, aud, sub, exp present → iss → aud →
//   iat, nbf, exp as numbers with a bounded skew (RFC 7519 §4.1) → lifetime cap (jwt-common.ts).
// `typ` is not checked, as before: IdPs send JWT, at+jwt (RFC 9068) or nothing.
import type { KeyObject } from 'node:crypto';
import type { CompactJws } from './jws-compact.ts';
import { verifyJwsSignature } from './jws-compact.ts';
import { KeyResolutionError, lifetimeReason, type RejectReason } from './jwt-common.ts';

export interface JwtRules {
  /** Accepted `alg` values (the issuer's allowlist; HS256 only with an hmacSecret). */
  readonly algorithms: ReadonlySet<string>;
  readonly issuer: string;
  readonly audience: string;
  readonly skewSec: number;
  readonly maxLifetimeSec: number;
}

export type JwtVerdict =
  | { readonly ok: true; readonly payload: Record<string, unknown> }
  | { readonly ok: false; readonly reason: RejectReason };

export type ResolveKey = (header: { alg?: string; kid?: string }) => Promise<KeyObject>;

const fail = (reason: RejectReason): JwtVerdict => ({ ok: false, reason });

/** The JOSE header checks done before any key is looked up; the `b64` value when they pass. */
function headerReason(header: Record<string, unknown>): RejectReason | boolean {
  let b64 = true;
  const crit = header.crit;
  if (crit !== undefined) {
    if (
      !Array.isArray(crit) ||
      crit.length === 0 ||
      crit.some((p) => typeof p !== 'string' || p.length === 0)
    )
      return 'malformed';
    for (const p of crit as string[]) {
      if (p !== 'b64') return 'crit_unsupported';
      if (!Object.hasOwn(header, p)) return 'malformed';
    }
    if (typeof header.b64 !== 'boolean') return 'malformed';
    b64 = header.b64;
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || alg.length === 0) return 'malformed';
  return b64;
}

/** RFC 7519 §7.2 steps, then the claims; `nowMs` is the one clock reading of this request. */
export async function verifyJwt(
  jws: CompactJws,
  rules: JwtRules,
  resolveKey: ResolveKey,
  nowMs: number,
): Promise<JwtVerdict> {
  const { header, payload } = jws;
  const b64 = headerReason(header);
  if (typeof b64 === 'string') return fail(b64);
  const alg = header.alg as string;
  if (!rules.algorithms.has(alg)) return fail('alg_not_allowed');
  let key: KeyObject;
  try {
    key = await resolveKey(header as { alg?: string; kid?: string });
  } catch (err) {
    return fail(err instanceof KeyResolutionError ? err.reason : 'malformed');
  }
  if (!verifyJwsSignature(alg, key, jws.signingInput, jws.signature)) return fail('bad_signature');
  if (!b64) return fail('malformed');

  for (const claim of ['iss', 'aud', 'sub', 'exp'] as const)
    if (!Object.hasOwn(payload, claim))
      return fail(
        claim === 'iss'
          ? 'wrong_issuer'
          : claim === 'aud'
            ? 'wrong_audience'
            : claim === 'exp'
              ? 'missing_exp'
              : 'bad_claims',
      );
  if (payload.iss !== rules.issuer) return fail('wrong_issuer');
  const aud = payload.aud;
  if (!(aud === rules.audience || (Array.isArray(aud) && aud.includes(rules.audience))))
    return fail('wrong_audience');
  const nowSec = Math.floor(nowMs / 1000);
  if (payload.iat !== undefined && typeof payload.iat !== 'number') return fail('iat_in_future');
  const nbf = payload.nbf;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSec + rules.skewSec))
    return fail('not_yet_valid');
  const exp = payload.exp;
  if (typeof exp !== 'number') return fail('missing_exp');
  if (exp <= nowSec - rules.skewSec) return fail('expired');
  const lifetime = lifetimeReason(payload, nowSec, rules.skewSec, rules.maxLifetimeSec);
  return lifetime ? fail(lifetime) : { ok: true, payload };
}
