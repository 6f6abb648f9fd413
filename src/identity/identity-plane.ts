// Builds every authenticator the config asks for, in the order they are consulted, plus the token
// endpoint. Bearer credentials come first (a token names its caller); the connection's client
// certificate comes last. The composition root asks this plane for authenticators per surface.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AirlockConfig } from '../config/schema.ts';
import type { AuditEvent, AuditEventType } from '../evidence/types.ts';
import { toJsonObject } from '../http/stages/record.ts';
import { parseDuration } from './config.ts';
import { createJwtAuthenticator, type JwtAuthenticator } from './jwt-authenticator.ts';
import { createMtlsAuthenticator } from './mtls-authenticator.ts';
import { createMemoryRevocationStore, type RevocationStore } from './revocation-store.ts';
import { openSqliteRevocationStore } from './revocation-store-sqlite.ts';
import { createTaskTokenAuthenticator } from './task-token-authenticator.ts';
import { createTaskTokenService, type TaskTokenService } from './task-token-service.ts';
import { registerTokenEndpoint } from './token-endpoint.ts';
import { createSigningKeyring, tokenSigningDir } from './token-signing-keys.ts';
import type { Authenticator } from './types.ts';

/** Clock skew tolerated for airlock's own task tokens. */
const TASK_TOKEN_SKEW_MS = 60_000;

export interface IdentityPlane {
  /** Authenticators after the API-key one, in the order the authenticate stage consults them. */
  readonly authenticators: readonly Authenticator[];
  readonly taskTokens: TaskTokenService | undefined;
  registerRoutes(app: FastifyInstance, apiKey: Authenticator): void;
  warmUp(): Promise<void>;
  close(): void;
}

export interface IdentityPlaneDeps {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly resolveSecret: (ref: string) => string;
  readonly audit: { append(event: AuditEvent): Promise<unknown> };
}

export function createIdentityPlane(config: AirlockConfig, deps: IdentityPlaneDeps): IdentityPlane {
  const idc = config.identity;
  const record = (type: string, outcome: 'info' | 'deny', event: object) =>
    deps.audit.append({ type: type as AuditEventType, outcome, detail: toJsonObject(event) });

  let revocations: RevocationStore | undefined;
  let taskTokens: TaskTokenService | undefined;
  let taskAuth: Authenticator | undefined;
  let keyring: ReturnType<typeof createSigningKeyring> | undefined;
  if (idc.tokens.enabled) {
    const maxLifetimeMs = parseDuration(idc.tokens.maxLifetime);
    const issuer = idc.tokens.issuer ?? idc.audience;
    revocations =
      idc.tokens.revocations.driver === 'sqlite'
        ? openSqliteRevocationStore(join(deps.dataDir, idc.tokens.revocations.path))
        : createMemoryRevocationStore();
    keyring = createSigningKeyring({
      dir: tokenSigningDir(deps.dataDir),
      rotationMs: parseDuration(idc.tokens.signingKeyRotation),
      retainMs: maxLifetimeMs + TASK_TOKEN_SKEW_MS,
    });
    const common = {
      issuer,
      audience: idc.audience,
      maxLifetimeMs,
      skewMs: TASK_TOKEN_SKEW_MS,
      maxDelegationDepth: idc.tokens.maxDelegationDepth,
    };
    taskTokens = createTaskTokenService(
      { ...common, requireScope: idc.tokens.requireScope },
      // Awaited by the service: a token is not issued unless its issuance is recorded.
      { keyring, revocations, onEvent: (e) => record(e.type, 'info', e).then(() => {}) },
    );
    taskAuth = createTaskTokenAuthenticator(common, {
      keyring,
      revocations,
      onUse: (e) => {
        record(e.type, e.outcome === 'rejected' ? 'deny' : 'info', e).catch(() => {});
      },
    });
  }
  const jwtAuth: JwtAuthenticator | undefined = idc.jwt
    ? createJwtAuthenticator(
        { audience: idc.audience, issuers: idc.jwt.issuers },
        {
          resolveSecret: deps.resolveSecret,
          onFetchError: (issuer) =>
            deps.logger.warn({ event: 'jwks_fetch_failed', issuer }, 'JWKS fetch failed'),
        },
      )
    : undefined;
  const mtlsAuth = idc.mtls
    ? createMtlsAuthenticator(idc.mtls, {
        listenerCaIsBundle: config.listeners.client.tls?.clientCa === idc.mtls.trustBundle,
      })
    : undefined;

  const bearer = [...(taskAuth ? [taskAuth] : []), ...(jwtAuth ? [jwtAuth] : [])];
  return {
    authenticators: [...bearer, ...(mtlsAuth ? [mtlsAuth] : [])],
    taskTokens,
    registerRoutes(app, apiKey) {
      if (taskTokens && keyring)
        registerTokenEndpoint(app, { service: taskTokens, authenticators: [apiKey, ...bearer], keyring });
    },
    async warmUp() {
      await jwtAuth?.warmUp();
    },
    close() {
      revocations?.close();
    },
  };
}
