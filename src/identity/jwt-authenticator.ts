// Bearer JWTs from the site's own IdP, verified offline (P2): signature against the issuer's JWKS
// (algorithm allowlist, key type matched to the algorithm, rotation by kid), iss, aud, exp, nbf,
// iat sanity, a bounded clock skew and a maximum lifetime. Claims map to a principal.
// Abstains when there is no bearer token or it is not JWT-shaped; anything JWT-shaped is ours to
// accept or reject, so a forged token never falls through to another authenticator.
import { createSecretKey, type KeyObject } from 'node:crypto';
import type * as jose from 'jose';
import { AirlockError } from '../errors.ts';
import { type JwtIssuerConfig, parseDuration, type SubjectKind, subjectKinds } from './config.ts';
import { createKeySet, type FetchJwks, type KeySet } from './jwks.ts';
import {
  bearerToken,
  createVerifiedCache,
  inspectToken,
  type OnReject,
  type RejectReason,
  rejectFor,
  tokenFingerprint,
} from './jwt-common.ts';
import { type JwtRules, verifyJwt } from './jwt-verify.ts';
import {
  type IdentityPrincipal,
  parseActor,
  parseScope,
  pipelineScopes,
  readClaim,
  stringList,
} from './principal.ts';
import type { Authenticator, AuthRequest, AuthResult } from './types.ts';

export interface JwtAuthenticatorConfig {
  /** This gateway's audience; an issuer's own `audience` overrides it. */
  readonly audience: string;
  readonly issuers: readonly JwtIssuerConfig[];
}

export interface JwtAuthenticatorDeps {
  /** Resolves `secret:NAME` (only needed when an issuer sets hmacSecret). */
  readonly resolveSecret?: (ref: string) => string;
  readonly fetchJwks?: FetchJwks;
  readonly now?: () => number;
  readonly onReject?: OnReject;
  readonly onFetchError?: (issuer: string, err: unknown) => void;
}

export interface JwtAuthenticator extends Authenticator {
  /** Fetches every configured JWKS URL once (start-up warm-up); failures are reported, not thrown. */
  warmUp(): Promise<void>;
}

/** Shortest HMAC secret accepted (RFC 7518 §3.2: at least the hash output size). */
const MIN_HMAC_BYTES = 32;
const MAX_ACT_DEPTH = 10;

interface IssuerVerifier {
  readonly config: JwtIssuerConfig;
  readonly audience: string;
  readonly keys: KeySet;
  readonly rules: JwtRules;
  readonly skewSec: number;
}

export function createJwtAuthenticator(
  config: JwtAuthenticatorConfig,
  deps: JwtAuthenticatorDeps = {},
): JwtAuthenticator {
  const now = deps.now ?? Date.now;
  const byIssuer = new Map<string, IssuerVerifier>();
  // One cache per surface: the same token maps to a different principal kind on each. Emptied
  // whenever a JWKS URL is re-read, so a key the IdP withdrew stops verifying cached tokens too.
  const verified = {
    client: createVerifiedCache<IdentityPrincipal>(),
    admin: createVerifiedCache<IdentityPrincipal>(),
  };
  const forgetVerified = () => {
    verified.client.clear();
    verified.admin.clear();
  };
  for (const issuer of config.issuers) {
    if (byIssuer.has(issuer.issuer))
      throw new AirlockError('config_invalid', {
        detail: `identity.jwt: issuer ${issuer.issuer} listed twice`,
      });
    let hmacKey: KeyObject | undefined;
    if (issuer.hmacSecret) {
      if (!deps.resolveSecret)
        throw new AirlockError('config_invalid', { detail: 'hmacSecret needs a secret resolver' });
      const secret = Buffer.from(deps.resolveSecret(issuer.hmacSecret), 'utf8');
      if (secret.length < MIN_HMAC_BYTES)
        throw new AirlockError('config_invalid', {
          detail: `identity.jwt ${issuer.issuer}: hmacSecret must be at least ${MIN_HMAC_BYTES} bytes`,
        });
      hmacKey = createSecretKey(secret);
    }
    const keys = createKeySet(
      {
        ...(issuer.jwksFile ? { jwksFile: issuer.jwksFile } : {}),
        ...(issuer.jwksUrl ? { jwksUrl: issuer.jwksUrl } : {}),
        ...(hmacKey ? { hmacKey } : {}),
        algorithms: issuer.algorithms,
        ttlMs: parseDuration(issuer.jwksCache.ttl),
        minRefreshIntervalMs: parseDuration(issuer.jwksCache.minRefreshInterval),
        timeoutMs: parseDuration(issuer.jwksCache.timeout),
      },
      {
        now,
        ...(deps.fetchJwks ? { fetchJwks: deps.fetchJwks } : {}),
        onFetchError: (err) => deps.onFetchError?.(issuer.issuer, err),
        onRefreshed: forgetVerified,
      },
    );
    const audience = issuer.audience ?? config.audience;
    const skewSec = parseDuration(issuer.clockSkew) / 1000;
    byIssuer.set(issuer.issuer, {
      config: issuer,
      audience,
      keys,
      skewSec,
      rules: {
        algorithms: new Set<string>([...issuer.algorithms, ...(hmacKey ? ['HS256'] : [])]),
        issuer: issuer.issuer,
        audience,
        skewSec,
        maxLifetimeSec: parseDuration(issuer.maxLifetime) / 1000,
      },
    });
  }

  const reject = (reason: RejectReason, prefix?: string): AuthResult => {
    deps.onReject?.({ authenticator: 'jwt', reason, ...(prefix ? { credentialPrefix: prefix } : {}) });
    return rejectFor(reason, prefix);
  };

  async function authenticate(req: AuthRequest): Promise<AuthResult> {
    const token = bearerToken(req.headers);
    if (token === undefined) return { kind: 'abstain' };
    const t = now();
    const hit = verified[req.surface].get(token, t);
    if (hit) return { kind: 'authenticated', principal: hit };
    const shape = inspectToken(token);
    if (shape.kind === 'not-jwt') return { kind: 'abstain' };
    if (shape.kind === 'too-large') return reject('too_large');
    const fingerprint = tokenFingerprint(token);
    const prefix = `jwt:${fingerprint}`;
    if (shape.kind === 'malformed') return reject('malformed', prefix);
    const iss = shape.payload.iss;
    const v = typeof iss === 'string' ? byIssuer.get(iss) : undefined;
    if (!v) return reject('unknown_issuer', prefix);

    // Signature and claims checked synchronously on the issuer's imported keys (jwt-verify.ts).
    const verdict = await verifyJwt(shape.jws, v.rules, v.keys.resolve, t);
    if (!verdict.ok) return reject(verdict.reason, prefix);
    const payload = verdict.payload as jose.JWTPayload;

    const principal = toPrincipal(payload, v, req.surface, fingerprint);
    if (principal === undefined) return reject('bad_claims', prefix);
    verified[req.surface].set(token, principal, principal.expiresAt.getTime() + v.skewSec * 1000);
    return { kind: 'authenticated', principal };
  }

  return {
    id: 'jwt',
    authenticate,
    async warmUp() {
      await Promise.all([...byIssuer.values()].map((v) => v.keys.refresh()));
    },
  };
}

function toPrincipal(
  payload: jose.JWTPayload,
  v: IssuerVerifier,
  surface: AuthRequest['surface'],
  fingerprint: string,
): IdentityPrincipal | undefined {
  const claims = v.config.claims;
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) return undefined;
  const kindClaim = readClaim(payload, claims.kind);
  let subjectKind: SubjectKind = claims.defaultKind;
  if (kindClaim !== undefined) {
    if (typeof kindClaim !== 'string' || !(subjectKinds as readonly string[]).includes(kindClaim))
      return undefined;
    subjectKind = kindClaim as SubjectKind;
  }
  const roles = stringList(readClaim(payload, claims.roles));
  const tenant = readClaim(payload, claims.tenant);
  const rawScope = readClaim(payload, claims.scope);
  const scope = rawScope === undefined ? [] : parseScope(rawScope);
  const act = parseActor(payload.act, MAX_ACT_DEPTH);
  if (roles === undefined || scope === undefined || act === 'invalid') return undefined;
  if (tenant !== undefined && typeof tenant !== 'string') return undefined;
  const admin = surface === 'admin' && roles.some((r) => v.config.adminRoles.includes(r));
  const jti = typeof payload.jti === 'string' && payload.jti.length <= 128 ? payload.jti : undefined;
  return {
    kind: admin ? 'admin' : 'client',
    id: sub,
    credentialId: jti ?? `jwt_${fingerprint}`,
    credentialPrefix: `jwt:${fingerprint}`,
    expiresAt: new Date((payload.exp as number) * 1000),
    scopes: pipelineScopes(scope),
    identity: {
      subjectKind,
      credentialKind: 'jwt',
      issuer: v.config.issuer,
      roles,
      ...(tenant !== undefined ? { tenant } : {}),
      scope,
      ...(act ? { act } : {}),
    },
  };
}
