// API keys are 256-bit random secrets shown once. The store keeps only HMAC-SHA-256(pepper, key):
// a stolen database yields nothing usable without the pepper, which lives outside it (a 0600 file).
import { createHmac, type KeyObject, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

const KEY_PREFIX = { client: 'alk_', admin: 'ala_' } as const;
/** Characters of the key kept in clear as its visible prefix (type tag + 8 random chars). */
const VISIBLE_CHARS = 12;
const KEY_PATTERN = /^al[ka]_[A-Za-z0-9_-]{43}$/;

export interface GeneratedKey {
  readonly id: string;
  readonly key: string;
  readonly prefix: string;
  readonly hash: string;
}

/** `pepper` may be a KeyObject built once at start-up (createSecretKey), which saves re-importing
 *  the key on every request. */
export function hashApiKey(pepper: Buffer | KeyObject, key: string): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}

export function generateApiKey(pepper: Buffer, kind: 'client' | 'admin'): GeneratedKey {
  const key = KEY_PREFIX[kind] + randomBytes(32).toString('base64url');
  return {
    id: `key_${randomUUID()}`,
    key,
    prefix: key.slice(0, VISIBLE_CHARS),
    hash: hashApiKey(pepper, key),
  };
}

/** Cheap shape check before any hashing or lookup, so junk never reaches the store. */
export function looksLikeApiKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** Constant-time comparison of two hex digests of equal length (CWE-208). */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
