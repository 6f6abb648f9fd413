// Config of the identity plane beyond API keys (mounted by the lead as `identity:` in
// src/config/schema.ts): IdP JWTs verified offline, mTLS/SPIFFE workloads, and airlock's own
// just-in-time task tokens (RFC 8693 token exchange). Strict: unknown fields are errors.
// Every credential kind has an enforced maximum lifetime (P2, P8); the caps have ceilings here.
import { z } from 'zod';

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a duration string such as 60s, 15m or 24h. */
export function parseDuration(value: string): number {
  const m = DURATION.exec(value);
  if (!m) throw new Error(`invalid duration ${value}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const duration = (max: string, def: string, description: string) =>
  z
    .string()
    .regex(DURATION, 'a duration such as 60s, 15m or 24h')
    .refine((v) => parseDuration(v) > 0, 'must be longer than zero')
    .refine((v) => parseDuration(v) <= parseDuration(max), `at most ${max}`)
    .default(def)
    .describe(`${description} At most ${max}.`);

const secretRef = z
  .string()
  .regex(
    /^secret:[A-Za-z0-9_.-]+$/,
    'a secret reference such as secret:IDP_HMAC (inline secrets are not allowed)',
  );

/** Signature algorithms an IdP may use (RFC 7518 §3.1, RFC 8037, RFC 9864). `none` is not
 *  representable; HMAC needs `hmacSecret`. */
export const asymmetricAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type AsymmetricAlgorithm = (typeof asymmetricAlgorithms)[number];

export const subjectKinds = ['user', 'service', 'agent'] as const;
export type SubjectKind = (typeof subjectKinds)[number] | 'workload';

const claimPath = z
  .string()
  .regex(/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/, 'a claim name or dotted path such as realm_access.roles');

const claimsSchema = z
  .strictObject({
    kind: claimPath
      .default('airlock_kind')
      .describe('Claim naming the subject kind: user, service or agent.'),
    defaultKind: z.enum(subjectKinds).default('user').describe('Kind when the kind claim is absent.'),
    roles: claimPath.default('roles').describe('Claim holding the roles (array or space-separated string).'),
    tenant: claimPath.default('tenant').describe('Claim holding the tenant.'),
    scope: claimPath.default('scope').describe('Claim holding OAuth scopes (space-separated or array).'),
  })
  .prefault({});

export const jwtIssuerSchema = z
  .strictObject({
    issuer: z.string().min(1).describe('Exact `iss` value of tokens from this IdP.'),
    audience: z
      .string()
      .min(1)
      .optional()
      .describe('Required `aud`; defaults to identity.audience (this gateway).'),
    jwksFile: z.string().optional().describe('Local JWKS file (public keys only) — verification is offline.'),
    jwksUrl: z
      .url()
      .refine((u) => u.startsWith('https://'), 'must be https://')
      .optional()
      .describe('Internal JWKS URL (must be on the egress allowlist); fetched with caching.'),
    algorithms: z
      .array(z.enum(asymmetricAlgorithms))
      .min(1)
      .default(['RS256', 'PS256', 'ES256', 'EdDSA'])
      .describe('Accepted signature algorithms; the key type must match the algorithm.'),
    hmacSecret: secretRef
      .optional()
      .describe('Enables HS256 with this shared secret (>= 32 bytes). Never used with JWKS keys.'),
    clockSkew: duration('5m', '60s', 'Tolerance for exp, nbf and iat.'),
    maxLifetime: duration('24h', '1h', 'Longest exp - iat accepted; tokens without exp are refused.'),
    claims: claimsSchema,
    adminRoles: z
      .array(z.string())
      .default([])
      .describe('Roles that make the subject an admin on the admin surface.'),
    jwksCache: z
      .strictObject({
        ttl: duration('24h', '10m', 'How long fetched keys are used before a background refresh.'),
        minRefreshInterval: duration('1h', '30s', 'Fewest time between two fetches (unknown kid refresh).'),
        timeout: duration('30s', '5s', 'Fetch timeout.'),
      })
      .prefault({}),
  })
  .refine((c) => c.jwksFile !== undefined || c.jwksUrl !== undefined || c.hmacSecret !== undefined, {
    message: 'set jwksFile, jwksUrl or hmacSecret',
  });

const spiffeId = z
  .string()
  .regex(/^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?$/, 'a SPIFFE ID such as spiffe://example.org/ns/x');

export const workloadSchema = z
  .strictObject({
    id: spiffeId.optional().describe('Exact SPIFFE ID.'),
    prefix: spiffeId
      .refine((v) => v.endsWith('/'), 'a path prefix ends with /')
      .optional()
      .describe('SPIFFE ID path prefix (ends with /); the longest matching prefix wins, an exact id first.'),
    owner: z.string().min(1).optional().describe('Principal id; defaults to the SPIFFE ID.'),
    kind: z.enum(['service', 'agent']).default('service'),
    roles: z.array(z.string()).default([]),
    tenant: z.string().optional(),
    scopes: z
      .array(z.string())
      .default([])
      .describe('Scopes such as model:<alias>, endpoint:chat (model:* for all).'),
    admin: z.boolean().default(false).describe('Admin on the admin surface.'),
  })
  .refine((w) => (w.id === undefined) !== (w.prefix === undefined), {
    message: 'set exactly one of id, prefix',
  });

export const identityConfigSchema = z
  .strictObject({
    audience: z
      .string()
      .min(1)
      .default('airlock')
      .describe('This gateway as an audience: required `aud` of tokens it accepts and issues.'),
    unusedAfter: duration(
      '365d',
      '30d',
      '`airlock doctor` flags API keys, local users, IdP JWT subjects (issuer + sub) and mTLS workloads (SPIFFE ID) not used for this long (credentials nobody needs are attack surface). Subjects and workloads are tracked from their first use.',
    ),
    jwt: z
      .strictObject({ issuers: z.array(jwtIssuerSchema).min(1) })
      .optional()
      .describe('Bearer JWTs from the site IdP, verified offline.'),
    mtls: z
      .strictObject({
        trustBundle: z.string().describe('PEM file of the SPIFFE trust bundle (CA certificates).'),
        trustDomain: z.string().regex(/^[a-z0-9._-]+$/, 'a SPIFFE trust domain such as example.org'),
        workloads: z.array(workloadSchema).default([]),
      })
      .optional()
      .describe('Client certificates carrying SPIFFE IDs (X509-SVIDs).'),
    tokens: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Serve POST /oauth/token and accept task tokens.'),
        issuer: z.string().min(1).optional().describe('`iss` of airlock task tokens; defaults to audience.'),
        maxLifetime: duration('24h', '15m', 'Longest task-token lifetime; requests are capped to it.'),
        signingKeyRotation: duration('30d', '24h', 'Age at which a new Ed25519 signing key is made.'),
        requireScope: z.boolean().default(true).describe('Refuse exchanges that do not name a scope.'),
        maxDelegationDepth: z.number().int().min(1).max(10).default(4).describe('Most nested `act` claims.'),
        revocations: z
          .strictObject({
            driver: z
              .enum(['store', 'memory'])
              .default('store')
              .describe(
                'store: revocations and signing keys in the store (shared by replicas on one PostgreSQL; signing keys as vault secrets); memory: revocations lost on restart (tests).',
              ),
            maxStaleness: z
              .string()
              .regex(DURATION, 'a duration such as 0s, 500ms or 2s')
              .refine((v) => parseDuration(v) <= 10_000, 'at most 10s')
              .default('0s')
              .describe(
                'How long a "not revoked" answer may be reused before the store is asked again. 0s (default): every use of a task token reads the store. Above 0, a task ended on another replica is refused here at most this much later (a revocation made through this replica applies at once). At most 10s.',
              ),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    // airlock's own tokens are routed by `iss`; an IdP with the same issuer would shadow them.
    const own = cfg.tokens.issuer ?? cfg.audience;
    cfg.jwt?.issuers.forEach((i, n) => {
      if (i.issuer === own)
        ctx.addIssue({
          code: 'custom',
          path: ['jwt', 'issuers', n, 'issuer'],
          message: `must differ from airlock's own token issuer (${own})`,
        });
    });
  })
  .prefault({})
  .describe('Identity beyond API keys: IdP JWTs, mTLS/SPIFFE, just-in-time task tokens.');

export type IdentityConfig = z.infer<typeof identityConfigSchema>;
export type JwtIssuerConfig = z.infer<typeof jwtIssuerSchema>;
export type WorkloadConfig = z.infer<typeof workloadSchema>;
export type MtlsConfig = NonNullable<IdentityConfig['mtls']>;
export type TokensConfig = IdentityConfig['tokens'];
