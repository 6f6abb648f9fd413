// Shared fixtures for the identity suites: IdP signing keys, a JWKS file, token makers.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { identityConfigSchema, type JwtIssuerConfig } from '../../src/identity/config.ts';

export const ISSUER = 'https://idp.corp.internal/realms/main';
export const AUDIENCE = 'https://airlock.corp.internal';
export const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
export const nowSec = Math.floor(NOW / 1000);

export interface IdpKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

let cached: { rsa: IdpKey; ps: IdpKey; ec: IdpKey; ed: IdpKey } | undefined;

export function idpKeys() {
  if (cached) return cached;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  cached = {
    rsa: { kid: 'rsa-1', alg: 'RS256', ...rsa },
    ps: { kid: 'rsa-1', alg: 'PS256', ...rsa },
    ec: { kid: 'ec-1', alg: 'ES256', ...ec },
    ed: { kid: 'ed-1', alg: 'EdDSA', ...ed },
  };
  return cached;
}

export function jwksOf(keys: readonly { kid: string; publicKey: KeyObject }[]) {
  return {
    keys: keys.map((k) => ({ ...(k.publicKey.export({ format: 'jwk' }) as object), kid: k.kid, use: 'sig' })),
  };
}

export function writeJwksFile(doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-jwks-'));
  const path = join(dir, 'jwks.json');
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

/** A validated issuer config (schema defaults applied) with overrides. */
export function issuerConfig(over: Partial<JwtIssuerConfig> & Record<string, unknown>): JwtIssuerConfig {
  const parsed = identityConfigSchema.parse({
    audience: AUDIENCE,
    jwt: { issuers: [{ issuer: ISSUER, ...over }] },
  });
  return parsed.jwt!.issuers[0]!;
}

export interface TokenOptions {
  readonly key?: IdpKey;
  readonly header?: Record<string, unknown>;
  readonly claims?: Record<string, unknown>;
  readonly omit?: readonly string[];
}

/** Signs a token from the IdP; claims default to a valid user token issued at NOW for 10 minutes. */
export async function idpToken(opts: TokenOptions = {}): Promise<string> {
  const key = opts.key ?? idpKeys().rsa;
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    iat: nowSec,
    nbf: nowSec,
    exp: nowSec + 600,
    roles: ['analyst'],
    tenant: 'acme',
    scope: 'model:* endpoint:chat',
    ...opts.claims,
  };
  for (const k of opts.omit ?? []) delete claims[k];
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({
      alg: key.alg,
      kid: key.kid,
      typ: 'JWT',
      ...opts.header,
    } as jose.JWSHeaderParameters)
    .sign(key.privateKey);
}

export const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export const bearer = (token: string) => ({
  headers: { authorization: `Bearer ${token}` },
  surface: 'client' as const,
});
