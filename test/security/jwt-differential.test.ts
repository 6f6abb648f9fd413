// Differential test of the synchronous JWT path (jws-compact.ts + jwt-verify.ts) against jose 6's
// jwtVerify, the reference it replaced: thousands of generated tokens — valid ones on every supported
// algorithm and a catalogue of forgeries and stale or malformed tokens — must get the same verdict,
// the same client code (invalid_token / expired_token) and the same audit reason from both.
// The one intended difference: the fast path refuses base64url with non-zero unused bits (a second
// spelling of the same bytes); jose accepts it. That case is asserted as such, not skipped.
import assert from 'node:assert/strict';
import { constants, createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { test } from 'node:test';
import * as jose from 'jose';
import { asymmetricAlgorithms } from '../../src/identity/config.ts';
import { createKeySet } from '../../src/identity/jwks.ts';
import { createJwtAuthenticator } from '../../src/identity/jwt-authenticator.ts';
import {
  joseReason,
  lifetimeReason,
  MAX_TOKEN_BYTES,
  type RejectReason,
  rejectFor,
} from '../../src/identity/jwt-common.ts';
import { AUDIENCE, issuerConfig, NOW, nowSec, writeJwksFile } from './identity-fixtures.ts';

const ISS = 'https://idp.diff.internal';
const HMAC_SECRET = 'x'.repeat(48);
// Every algorithm the config accepts, so a new one is held to jose's verdicts too.
const ALGS = asymmetricAlgorithms;
const HASH: Record<string, string> = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ec521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const ed = generateKeyPairSync('ed25519');
const KEY_OF: Record<string, { kid: string; privateKey: KeyObject; publicKey: KeyObject }> = {
  RS: { kid: 'rsa', ...rsa },
  PS: { kid: 'rsa', ...rsa },
  ES256: { kid: 'p256', ...ec256 },
  ES384: { kid: 'p384', ...ec384 },
  ES512: { kid: 'p521', ...ec521 },
  Ed: { kid: 'ed', ...ed },
};
const keyFor = (alg: string) => KEY_OF[alg] ?? KEY_OF[alg.slice(0, 2)]!;
const jwksFile = writeJwksFile({
  keys: [rsa, ec256, ec384, ec521, ed].map((k, i) => ({
    ...(k.publicKey.export({ format: 'jwk' }) as object),
    kid: ['rsa', 'p256', 'p384', 'p521', 'ed'][i],
  })),
});
const config = issuerConfig({
  issuer: ISS,
  jwksFile,
  algorithms: [...ALGS],
  hmacSecret: 'secret:IDP',
  maxLifetime: '1h',
});

/** Deterministic PRNG (mulberry32), so a failure names a reproducible case. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function signRaw(alg: string, input: Buffer, der = false): Buffer {
  if (alg === 'HS256') return createHmac('sha256', HMAC_SECRET).update(input).digest();
  const k = keyFor(alg).privateKey;
  if (alg.startsWith('RS')) return sign(HASH[alg.slice(2)]!, input, k);
  if (alg.startsWith('PS'))
    return sign(HASH[alg.slice(2)]!, input, {
      key: k,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(alg.slice(2)) / 8,
    });
  if (alg.startsWith('ES'))
    return sign(HASH[alg.slice(2)]!, input, { key: k, dsaEncoding: der ? 'der' : 'ieee-p1363' });
  return sign(null, input, k);
}

function token(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  opts: { der?: boolean; rawPayload?: string } = {},
) {
  const input = `${enc(header)}.${opts.rawPayload ?? enc(claims)}`;
  const alg = typeof header.alg === 'string' ? header.alg : 'RS256';
  const sig =
    alg === 'none'
      ? Buffer.alloc(0)
      : signRaw(ALGS.includes(alg as never) || alg === 'HS256' ? alg : 'RS256', Buffer.from(input), opts.der);
  return `${input}.${sig.toString('base64url')}`;
}

type Case = { readonly name: string; readonly token: string; readonly nonCanonical?: boolean };

function generate(n: number): Case[] {
  const r = rng(0x5eed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const cases: Case[] = [];
  for (let i = 0; i < n; i++) {
    const alg = pick([...ALGS, 'HS256']);
    const header: Record<string, unknown> = {
      alg,
      typ: 'JWT',
      ...(alg === 'HS256' ? {} : { kid: keyFor(alg).kid }),
    };
    const iat = nowSec - Math.floor(r() * 120);
    const claims: Record<string, unknown> = {
      iss: ISS,
      aud: r() < 0.2 ? ['other', AUDIENCE] : AUDIENCE,
      sub: `user-${i}`,
      iat,
      exp: iat + 60 + Math.floor(r() * 3000),
      roles: ['analyst'],
      scope: 'model:* endpoint:chat',
    };
    const kind = pick([
      'valid',
      'valid',
      'valid',
      'expired',
      'within-skew',
      'nbf-future',
      'iat-future',
      'iat-string',
      'nbf-string',
      'exp-string',
      'no-exp',
      'no-sub',
      'no-aud',
      'no-iss',
      'wrong-aud',
      'aud-array-without',
      'wrong-iss',
      'tampered-payload',
      'tampered-signature',
      'wrong-kid',
      'no-kid',
      'alg-none',
      'hs256-rsa-pem',
      'es-der',
      'unknown-crit',
      'crit-b64-true',
      'crit-b64-false',
      'crit-empty',
      'crit-not-array',
      'oversize',
      'lifetime-cap',
      'kid-type-mismatch',
      'alg-number',
      'alg-unknown',
      'header-not-json',
      'payload-array',
      'pss-wrong-salt',
      'truncated-signature',
      'non-canonical-signature',
      'exp-infinite',
      'sub-empty',
      'kid-number',
    ] as const);
    const name = `${i}:${kind}:${alg}`;
    const push = (t: string, nonCanonical = false) => cases.push({ name, token: t, nonCanonical });
    switch (kind) {
      case 'expired':
        push(token(header, { ...claims, iat: nowSec - 900, exp: nowSec - 61 - Math.floor(r() * 500) }));
        break;
      case 'within-skew':
        push(token(header, { ...claims, iat: nowSec - 900, exp: nowSec - Math.floor(r() * 59) }));
        break;
      case 'nbf-future':
        push(token(header, { ...claims, nbf: nowSec + 61 + Math.floor(r() * 100) }));
        break;
      case 'iat-future':
        push(token(header, { ...claims, iat: nowSec + 61 + Math.floor(r() * 100), exp: nowSec + 900 }));
        break;
      case 'iat-string':
        push(token(header, { ...claims, iat: String(iat) }));
        break;
      case 'nbf-string':
        push(token(header, { ...claims, nbf: 'now' }));
        break;
      case 'exp-string':
        push(token(header, { ...claims, exp: String(claims.exp) }));
        break;
      case 'no-exp':
        push(token(header, { ...claims, exp: undefined }));
        break;
      case 'no-sub':
        push(token(header, { ...claims, sub: undefined }));
        break;
      case 'no-aud':
        push(token(header, { ...claims, aud: undefined }));
        break;
      case 'no-iss':
        push(token(header, { ...claims, iss: undefined }));
        break;
      case 'wrong-aud':
        push(token(header, { ...claims, aud: 'https://someone-else' }));
        break;
      case 'aud-array-without':
        push(token(header, { ...claims, aud: ['a', 'b'] }));
        break;
      case 'wrong-iss':
        push(token(header, { ...claims, iss: 'https://evil.example' }));
        break;
      case 'tampered-payload': {
        const [h, , s] = token(header, claims).split('.');
        push(`${h}.${enc({ ...claims, sub: 'admin' })}.${s}`);
        break;
      }
      case 'tampered-signature': {
        const [h, p, s] = token(header, claims).split('.');
        const sig = Buffer.from(s!, 'base64url');
        sig[Math.floor(r() * sig.length)]! ^= 1 << Math.floor(r() * 8);
        push(`${h}.${p}.${sig.toString('base64url')}`);
        break;
      }
      case 'wrong-kid':
        push(token({ ...header, kid: `kid-${i}` }, claims));
        break;
      case 'no-kid': {
        const { kid: _, ...h } = header;
        push(token(h, claims));
        break;
      }
      case 'alg-none':
        push(token({ alg: 'none', typ: 'JWT' }, claims));
        break;
      case 'hs256-rsa-pem': {
        const input = `${enc({ alg: 'HS256', kid: 'rsa' })}.${enc(claims)}`;
        const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' });
        push(`${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`);
        break;
      }
      case 'es-der':
        push(token({ ...header, alg: 'ES256', kid: 'p256' }, claims, { der: true }));
        break;
      case 'unknown-crit':
        push(token({ ...header, crit: ['exp'], exp: 1 }, claims));
        break;
      case 'crit-b64-true':
        push(token({ ...header, crit: ['b64'], b64: true }, claims));
        break;
      case 'crit-b64-false':
        push(token({ ...header, crit: ['b64'], b64: false }, claims));
        break;
      case 'crit-empty':
        push(token({ ...header, crit: [] }, claims));
        break;
      case 'crit-not-array':
        push(token({ ...header, crit: 'b64' }, claims));
        break;
      case 'oversize':
        push(token(header, { ...claims, pad: 'p'.repeat(MAX_TOKEN_BYTES) }));
        break;
      case 'lifetime-cap':
        push(token(header, { ...claims, exp: iat + 3601 + Math.floor(r() * 1000) }));
        break;
      case 'kid-type-mismatch':
        push(token({ ...header, kid: alg.startsWith('ES') ? 'rsa' : 'p256' }, claims));
        break;
      case 'alg-number':
        push(token({ ...header, alg: 256 }, claims));
        break;
      case 'alg-unknown':
        push(token({ ...header, alg: 'ES256K' }, claims));
        break;
      case 'header-not-json':
        push(token(header, claims).replace(/^[^.]+/, enc('{"alg":')));
        break;
      case 'payload-array':
        push(token(header, claims, { rawPayload: enc([claims]) }));
        break;
      case 'pss-wrong-salt': {
        const input = `${enc({ alg: 'PS256', kid: 'rsa' })}.${enc(claims)}`;
        const sig = sign('sha256', Buffer.from(input), {
          key: rsa.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 20,
        });
        push(`${input}.${sig.toString('base64url')}`);
        break;
      }
      case 'truncated-signature':
        push(token(header, claims).slice(0, -4));
        break;
      case 'non-canonical-signature': {
        // A 2048-bit RSA signature is 256 bytes: 342 base64url characters, the last holding 4 unused bits.
        const t = token({ alg: 'RS256', kid: 'rsa' }, claims);
        const last = t.at(-1)!;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        push(`${t.slice(0, -1)}${alphabet[alphabet.indexOf(last) | (1 + Math.floor(r() * 15))]}`, true);
        break;
      }
      case 'exp-infinite':
        push(
          token(header, claims, {
            rawPayload: enc(JSON.stringify({ ...claims, exp: 0 }).replace('"exp":0', '"exp":1e999')),
          }),
        );
        break;
      case 'sub-empty':
        push(token(header, { ...claims, sub: '' }));
        break;
      case 'kid-number':
        push(token({ ...header, kid: 7 }, claims));
        break;
      default:
        push(token(header, claims));
    }
  }
  return cases;
}

/** Written independently of the decoder under test: does a segment differ from its canonical re-encoding? */
function hasNonCanonicalSegment(t: string): boolean {
  if (t.length > MAX_TOKEN_BYTES) return false;
  return t
    .split('.')
    .some((seg) => seg.length % 4 !== 1 && Buffer.from(seg, 'base64url').toString('base64url') !== seg);
}

type Verdict =
  | { readonly accepted: true; readonly sub: string }
  | { readonly accepted: false; readonly code: string; readonly reason: RejectReason | 'abstain' };

/** The verifier as it was before the fast path: jose decoding, jose.jwtVerify, the same lifetime rule. */
function createReference() {
  const keys = createKeySet(
    { jwksFile, algorithms: config.algorithms, ttlMs: 1, minRefreshIntervalMs: 1, timeoutMs: 1 },
    { now: () => NOW },
  );
  const hmac = new TextEncoder().encode(HMAC_SECRET);
  return async (t: string): Promise<Verdict> => {
    const no = (reason: RejectReason): Verdict => ({
      accepted: false,
      code: (rejectFor(reason) as { code: string }).code,
      reason,
    });
    if (t.length > MAX_TOKEN_BYTES) return no('too_large');
    let payload: jose.JWTPayload;
    try {
      if (typeof jose.decodeProtectedHeader(t).alg !== 'string') return no('malformed');
      payload = jose.decodeJwt(t);
    } catch {
      return no('malformed');
    }
    if (payload.iss !== ISS) return no('unknown_issuer');
    try {
      ({ payload } = await jose.jwtVerify(t, async (h) => (h.alg === 'HS256' ? hmac : keys.resolve(h)), {
        algorithms: [...config.algorithms, 'HS256'],
        issuer: ISS,
        audience: AUDIENCE,
        clockTolerance: 60,
        currentDate: new Date(NOW),
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      return no(joseReason(err));
    }
    const lifetime = lifetimeReason(payload, nowSec, 60, 3600);
    if (lifetime) return no(lifetime);
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) return no('bad_claims');
    return { accepted: true, sub: payload.sub };
  };
}

test('differential: the fast JWT path and jose jwtVerify agree on 3000 generated tokens', async () => {
  const reasons: string[] = [];
  const fast = createJwtAuthenticator(
    { audience: AUDIENCE, issuers: [config] },
    { now: () => NOW, resolveSecret: () => HMAC_SECRET, onReject: (e) => reasons.push(String(e.reason)) },
  );
  const reference = createReference();
  const cases = generate(3000);
  const seen = { accepted: 0, rejected: 0, nonCanonical: 0, byReason: new Map<string, number>() };
  for (const c of cases) {
    reasons.length = 0;
    const r = await fast.authenticate({ headers: { authorization: `Bearer ${c.token}` }, surface: 'client' });
    const got: Verdict =
      r.kind === 'authenticated'
        ? { accepted: true, sub: r.principal.id }
        : {
            accepted: false,
            code: r.kind === 'reject' ? r.code : 'abstain',
            reason: (reasons[0] as RejectReason) ?? 'abstain',
          };
    const want = await reference(c.token);
    if (c.nonCanonical) assert.equal(want.accepted, true, c.name);
    if (c.nonCanonical || hasNonCanonicalSegment(c.token)) {
      // jose decodes the second spelling to the same bytes (and accepts, or refuses for another
      // reason); the strict decoder refuses the token as malformed before looking any further.
      assert.deepEqual(got, { accepted: false, code: 'invalid_token', reason: 'malformed' }, c.name);
      seen.nonCanonical++;
      continue;
    }
    assert.deepEqual(got, want, c.name);
    if (got.accepted) seen.accepted++;
    else {
      seen.rejected++;
      seen.byReason.set(got.reason, (seen.byReason.get(got.reason) ?? 0) + 1);
    }
  }
  // The generator exercised both outcomes and the refusals that matter.
  assert.ok(seen.accepted > 300 && seen.rejected > 1500 && seen.nonCanonical > 20, JSON.stringify(seen));
  for (const reason of [
    'expired',
    'bad_signature',
    'alg_not_allowed',
    'wrong_audience',
    'unknown_kid',
    'key_type_mismatch',
    'crit_unsupported',
    'too_large',
    'lifetime_over_cap',
    'malformed',
    'not_yet_valid',
    'iat_in_future',
    'unknown_issuer',
    'missing_exp',
  ])
    assert.ok((seen.byReason.get(reason) ?? 0) > 0, `no case produced ${reason}`);
});
