// Shared fixtures for the identity suites: IdP signing keys, a JWKS file, token makers.

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { createApiKeyAuthenticator } from '../../src/identity/api-key-authenticator.ts';
import { generateApiKey } from '../../src/identity/api-key-codec.ts';
import { identityConfigSchema, type JwtIssuerConfig } from '../../src/identity/config.ts';
import type { ApiKeyRecord } from '../../src/store/types.ts';

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
    } as jose.CompactJWSHeaderParameters)
    .sign(key.privateKey);
}

export const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export const bearer = (token: string) => ({
  headers: { authorization: `Bearer ${token}` },
  surface: 'client' as const,
});

/** True when the openssl CLI is available (the mTLS suites generate their PKI with it). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Issued {
  readonly cert: string;
  readonly key: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** A throwaway PKI in a temp folder: P-256 CAs and leaves made with the openssl CLI. */
export function createPki() {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-pki-'));
  let n = 0;
  const ossl = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const files = (name: string) => ({ keyPath: join(dir, `${name}.key`), certPath: join(dir, `${name}.pem`) });
  const read = (f: { keyPath: string; certPath: string }): Issued => ({
    ...f,
    cert: readFileSync(f.certPath, 'utf8'),
    key: readFileSync(f.keyPath, 'utf8'),
  });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

  function ca(name: string): Issued {
    const f = files(name);
    ossl([
      'req',
      '-x509',
      ...newKey,
      '-keyout',
      f.keyPath,
      '-out',
      f.certPath,
      '-days',
      '3',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return read(f);
  }

  function issue(name: string, issuer: Issued, ext: string[]): Issued {
    const f = files(name);
    const csr = join(dir, `${name}.csr`);
    const extFile = join(dir, `${name}.ext`);
    writeFileSync(extFile, `${ext.join('\n')}\n`);
    ossl(['req', ...newKey, '-keyout', f.keyPath, '-out', csr, '-subj', `/CN=${name}`]);
    ossl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      issuer.certPath,
      '-CAkey',
      issuer.keyPath,
      '-set_serial',
      String(++n + 1000),
      '-days',
      '2',
      '-out',
      f.certPath,
      '-extfile',
      extFile,
    ]);
    return read(f);
  }

  const leafExt = (sans: string) => [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth,serverAuth',
    `subjectAltName=${sans}`,
  ];
  return {
    dir,
    ca,
    intermediate: (name: string, issuer: Issued) =>
      issue(name, issuer, [
        'basicConstraints=critical,CA:TRUE,pathlen:0',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]),
    leaf: (name: string, issuer: Issued, sans: string) => issue(name, issuer, leafExt(sans)),
    write(name: string, text: string): string {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
  };
}

/** API keys kept in memory behind the real API-key authenticator (no store): `mint` returns a new key,
 *  valid from just before NOW for 30 days. */
export function memoryApiKeys(now: () => number) {
  const pepper = randomBytes(32);
  const records = new Map<string, ApiKeyRecord>();
  return {
    mint(opts: {
      owner: string;
      kind?: 'client' | 'admin';
      models?: string[];
      endpoints?: string[];
    }): string {
      const kind = opts.kind ?? 'client';
      const g = generateApiKey(pepper, kind);
      records.set(g.hash, {
        id: g.id,
        prefix: g.prefix,
        hash: g.hash,
        owner: opts.owner,
        kind,
        models: opts.models ?? ['*'],
        endpoints: opts.endpoints ?? ['*'],
        createdAt: new Date(NOW - 1000),
        expiresAt: new Date(NOW + 30 * 86_400_000),
        revokedAt: null,
        replacedBy: null,
        lastUsedAt: null,
        createdBy: null,
      });
      return g.key;
    },
    authenticator: createApiKeyAuthenticator({
      store: { findApiKeyByHash: async (h: string) => records.get(h), touchApiKey: async () => {} } as never,
      pepper,
      now,
    }),
  };
}
