// Verification keys of one IdP: a local JWKS file (offline, the default) and optionally an internal
// JWKS URL fetched through undici (on the egress allowlist) with a cache, a background refresh after
// `ttl`, and a rate-limited refresh when a token names an unknown kid (an attacker spraying random
// kids cannot turn the gateway into a request amplifier against the IdP).
// The key type must match the algorithm (RFC 8725 §3.1): an RSA key never verifies an ES256 or
// HS256 token, and symmetric keys are never taken from a JWKS.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { AirlockError } from '../errors.ts';
import type { AsymmetricAlgorithm } from './config.ts';
import { KeyResolutionError } from './jwt-common.ts';

export interface VerificationKey {
  readonly kid?: string;
  /** The JWK's own `alg`, when it pins one. */
  readonly alg?: string;
  readonly key: KeyObject;
}

const MAX_JWKS_BYTES = 64 * 1024;
const MAX_KEYS = 100;
const MIN_RSA_BITS = 2048;

const CURVE_OF: Readonly<Record<string, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

/** Does this key fit this algorithm? (RFC 8725 §3.1: the key type is bound to the algorithm.) */
export function keyMatchesAlg(key: KeyObject, alg: string): boolean {
  const type = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails;
  if (alg === 'RS256' || alg === 'RS384' || alg === 'RS512')
    return type === 'rsa' && (d?.modulusLength ?? 0) >= MIN_RSA_BITS;
  if (alg === 'PS256' || alg === 'PS384' || alg === 'PS512')
    return (type === 'rsa' || type === 'rsa-pss') && (d?.modulusLength ?? 0) >= MIN_RSA_BITS;
  if (Object.hasOwn(CURVE_OF, alg)) return type === 'ec' && d?.namedCurve === CURVE_OF[alg];
  if (alg === 'EdDSA' || alg === 'Ed25519') return type === 'ed25519';
  return false;
}

/** Parses a JWKS document. Private or symmetric keys are a config error, never silently used. */
export function parseJwks(doc: unknown, source: string): VerificationKey[] {
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length > MAX_KEYS)
    throw new AirlockError('config_invalid', { detail: `${source}: not a JWKS (expected {"keys": [...]})` });
  const out: VerificationKey[] = [];
  for (const jwk of keys as Record<string, unknown>[]) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    if (jwk.kty === 'oct' || 'd' in jwk || 'k' in jwk)
      throw new AirlockError('config_invalid', {
        detail: `${source}: holds private or symmetric key material; publish public keys only`,
      });
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch {
      continue; // an unsupported key type (e.g. X25519) is not a signing key for us
    }
    out.push({
      key,
      ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}),
      ...(typeof jwk.alg === 'string' ? { alg: jwk.alg } : {}),
    });
  }
  return out;
}

export type FetchJwks = (url: string, timeoutMs: number) => Promise<unknown>;

/** GET through undici: no redirects, bounded time and size, JSON only. */
export const fetchJwksWithUndici: FetchJwks = async (url, timeoutMs) => {
  const res = await request(url, {
    method: 'GET',
    headers: { accept: 'application/jwk-set+json, application/json' },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`JWKS fetch returned ${res.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_JWKS_BYTES) {
      res.body.destroy();
      throw new Error('JWKS larger than 64 KiB');
    }
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

export interface KeySetConfig {
  readonly jwksFile?: string;
  readonly jwksUrl?: string;
  readonly algorithms: readonly AsymmetricAlgorithm[];
  readonly hmacKey?: KeyObject;
  readonly ttlMs: number;
  readonly minRefreshIntervalMs: number;
  readonly timeoutMs: number;
}

export interface KeySetDeps {
  readonly fetchJwks?: FetchJwks;
  readonly now?: () => number;
  /** Told about fetch failures (the gateway logs them; tokens signed by cached keys still verify). */
  readonly onFetchError?: (err: unknown) => void;
  /** Called after the URL's keys were replaced (callers drop anything verified with the old set). */
  readonly onRefreshed?: () => void;
}

export interface KeySet {
  /** Resolves the key for a token header, or throws KeyResolutionError with a reason. */
  resolve(header: { alg?: string; kid?: string }): Promise<KeyObject>;
  /** Fetches the URL now (start-up warm-up); resolves false when it failed. */
  refresh(): Promise<boolean>;
}

export function createKeySet(config: KeySetConfig, deps: KeySetDeps = {}): KeySet {
  const now = deps.now ?? Date.now;
  const fetchJwks = deps.fetchJwks ?? fetchJwksWithUndici;
  const fileKeys = config.jwksFile
    ? parseJwks(readJsonFile(config.jwksFile), config.jwksFile)
    : ([] as VerificationKey[]);
  const allowed = new Set<string>(config.algorithms);
  let remoteKeys: VerificationKey[] = [];
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<boolean> | undefined;

  function refresh(): Promise<boolean> {
    const url = config.jwksUrl;
    if (!url) return Promise.resolve(false);
    if (inFlight) return inFlight;
    attemptedAt = now();
    inFlight = (async () => {
      try {
        remoteKeys = parseJwks(await fetchJwks(url, config.timeoutMs), url);
        matched.clear();
        fetchedAt = now();
        deps.onRefreshed?.();
        return true;
      } catch (err) {
        deps.onFetchError?.(err);
        return false;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  // Keys already matched to an (alg, kid): a token's key is found with one Map lookup. Only hits are
  // kept (bounded by keys x algorithms; a spray of random kids adds nothing); emptied when the URL's
  // keys are replaced.
  const matched = new Map<string, KeyObject>();

  /** undefined: no key with that kid; 'mismatch': the kid exists but not for this algorithm. */
  function find(alg: string, kid: string | undefined): KeyObject | 'mismatch' | undefined {
    const memo = kid === undefined ? alg : `${alg}:${kid}`; // alg is an allowlisted name, never holding ':'
    const hit = matched.get(memo);
    if (hit) return hit;
    const found = search(alg, kid);
    if (typeof found === 'object') matched.set(memo, found);
    return found;
  }

  function search(alg: string, kid: string | undefined): KeyObject | 'mismatch' | undefined {
    const all = remoteKeys.length ? [...fileKeys, ...remoteKeys] : fileKeys;
    const named = kid === undefined ? all : all.filter((k) => k.kid === kid);
    const fit = named.filter((k) => (k.alg === undefined || k.alg === alg) && keyMatchesAlg(k.key, alg));
    // Without a kid, only an unambiguous key is used.
    if (fit.length === 1 || (kid !== undefined && fit.length > 1)) return fit[0]!.key;
    if (kid !== undefined && named.length > 0) return 'mismatch';
    return undefined;
  }

  async function resolve(header: { alg?: string; kid?: string }): Promise<KeyObject> {
    const alg = header.alg ?? '';
    if (alg === 'HS256') {
      if (!config.hmacKey) throw new KeyResolutionError('alg_not_allowed');
      return config.hmacKey; // never a JWKS key: HMAC with a public key is the classic confusion attack
    }
    if (!allowed.has(alg)) throw new KeyResolutionError('alg_not_allowed');
    if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid.length > 256))
      throw new KeyResolutionError('malformed');
    const t = now();
    if (config.jwksUrl && t - fetchedAt > config.ttlMs && t - attemptedAt >= config.minRefreshIntervalMs)
      void refresh(); // stale-while-revalidate
    let k = find(alg, header.kid);
    if (k === undefined && config.jwksUrl) {
      if (inFlight) await inFlight;
      else if (t - attemptedAt >= config.minRefreshIntervalMs) await refresh();
      k = find(alg, header.kid);
      if (k === undefined && fetchedAt === Number.NEGATIVE_INFINITY && fileKeys.length === 0)
        throw new KeyResolutionError('jwks_unavailable');
    }
    if (k === 'mismatch') throw new KeyResolutionError('key_type_mismatch');
    if (k === undefined) throw new KeyResolutionError('unknown_kid');
    return k;
  }

  return { resolve, refresh };
}

function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new AirlockError('config_invalid', { detail: `${path}: cannot read a JSON JWKS` });
  }
}
