// Authenticates `Authorization: Bearer <key>` (and `x-api-key`) against the store.
// Revocation and expiry are checked on every request against the store itself, so a revoke on any
// replica takes effect on the next request everywhere.
import { createSecretKey, hash as sha256Of } from 'node:crypto';
import type { Store } from '../store/types.ts';
import { hashApiKey, looksLikeApiKey, sameDigest } from './api-key-codec.ts';
import type { Authenticator, AuthRequest, AuthResult } from './types.ts';

export interface ApiKeyAuthenticatorDeps {
  readonly store: Pick<Store, 'findApiKeyByHash' | 'touchApiKey'>;
  readonly pepper: Buffer;
  readonly now?: () => number;
}

const TOUCH_INTERVAL_MS = 60_000;
/** Digests remembered for keys that matched a stored record; then the map starts over. */
const MAX_REMEMBERED_DIGESTS = 10_000;

export function presentedCredential(headers: AuthRequest['headers']): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

export function createApiKeyAuthenticator(deps: ApiKeyAuthenticatorDeps): Authenticator {
  const now = deps.now ?? Date.now;
  const lastTouched = new Map<string, number>();
  const pepper = createSecretKey(deps.pepper);
  // The peppered HMAC costs ~3.5 µs per request (an OpenSSL MAC set-up each time); a one-shot
  // SHA-256 ~0.4 µs. So the HMAC of a key that matched a record is remembered under the key's
  // SHA-256 (one-way over a 256-bit secret: nothing in this map authenticates anyone). The record
  // itself is still read on every request, so revocation and expiry apply as before; junk keys
  // never enter the map.
  const digests = new Map<string, string>();

  async function authenticate(req: AuthRequest): Promise<AuthResult> {
    const presented = presentedCredential(req.headers);
    if (presented === undefined || !presented.startsWith('al')) return { kind: 'abstain' };
    if (!looksLikeApiKey(presented)) return { kind: 'reject', code: 'invalid_api_key' };
    const id = sha256Of('sha256', presented, 'base64');
    const remembered = digests.get(id);
    const hash = remembered ?? hashApiKey(pepper, presented);
    const record = await deps.store.findApiKeyByHash(hash);
    if (!record || !sameDigest(record.hash, hash)) return { kind: 'reject', code: 'invalid_api_key' };
    if (remembered === undefined) {
      if (digests.size >= MAX_REMEMBERED_DIGESTS) digests.clear();
      digests.set(id, hash);
    }
    const prefix = record.prefix;
    if (record.revokedAt) return { kind: 'reject', code: 'revoked_api_key', credentialPrefix: prefix };
    const t = now();
    if (record.expiresAt.getTime() <= t)
      return { kind: 'reject', code: 'expired_api_key', credentialPrefix: prefix };
    // Client keys never open the admin surface and admin keys never call models (separation of duty).
    if (record.kind !== req.surface)
      return { kind: 'reject', code: 'invalid_api_key', credentialPrefix: prefix };
    if ((lastTouched.get(record.id) ?? 0) + TOUCH_INTERVAL_MS < t) {
      lastTouched.set(record.id, t);
      deps.store.touchApiKey(record.id, new Date(t)).catch(() => {});
    }
    return {
      kind: 'authenticated',
      principal: {
        kind: record.kind,
        id: record.owner,
        credentialId: record.id,
        credentialPrefix: prefix,
        expiresAt: record.expiresAt,
        scopes: { models: record.models, endpoints: record.endpoints },
      },
    };
  }

  return { id: 'api-key', authenticate };
}
