// Builds every authenticator the config asks for, in the order they are consulted, plus the token
// endpoint. Bearer credentials come first (a token names its caller); the connection's client
// certificate comes last. The composition root asks this plane for authenticators per surface.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AirlockConfig } from '../config/schema.ts';
import type { AuditEvent, AuditEventType } from '../evidence/types.ts';
import type { AdminRoute } from '../http/admin-route.ts';
import { toJsonObject } from '../http/stages/record.ts';
import { parseDuration } from './config.ts';
import { createJwtAuthenticator, type JwtAuthenticator } from './jwt-authenticator.ts';
import { createLastSeenRecorder, trackLastSeen } from './last-seen-recorder.ts';
import { createMtlsAuthenticator } from './mtls-authenticator.ts';
import { createCachedRevocationStore } from './revocation-cache.ts';
import { createMemoryRevocationStore, type RevocationStore } from './revocation-store.ts';
import { openNodeRevocationFile } from './revocation-store-sqlite.ts';
import { registerTaskAdminRoutes } from './task-admin-routes.ts';
import { createTaskTokenAuthenticator } from './task-token-authenticator.ts';
import { createTaskTokenService, TASK_TOKEN_SKEW_MS, type TaskTokenService } from './task-token-service.ts';
import type { TaskTokenStore } from './task-token-store.ts';
import { registerTokenEndpoint } from './token-endpoint.ts';
import { fileSigningKeyStore, tokenSigningDir } from './token-signing-key-stores.ts';
import { createSigningKeyring } from './token-signing-keys.ts';
import type { Authenticator } from './types.ts';

/** How often lapsed revocations are deleted. */
const PRUNE_INTERVAL_MS = 3_600_000;

export interface IdentityPlane {
  /** Authenticators after the API-key one, in the order the authenticate stage consults them. */
  readonly authenticators: readonly Authenticator[];
  readonly taskTokens: TaskTokenService | undefined;
  /** Revocations in force (the admin API, doctor); undefined when task tokens are off. */
  readonly revocations: RevocationStore | undefined;
  registerRoutes(app: FastifyInstance, apiKey: Authenticator): void;
  /** /admin/v1/tasks routes, run through the admin pipeline. */
  registerAdminRoutes(app: FastifyInstance, route: AdminRoute): void;
  warmUp(): Promise<void>;
  close(): void;
}

export interface IdentityPlaneDeps {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly resolveSecret: (ref: string) => string;
  readonly audit: { append(event: AuditEvent): Promise<unknown> };
  /** Revocations and signing keys in the store (start.ts). Without it (a gateway built alone, as in
   *  tests) they are node-local: a SQLite file and 0600 key files in dataDir. */
  readonly tokenStore?: TaskTokenStore;
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
      idc.tokens.revocations.driver === 'memory'
        ? createMemoryRevocationStore()
        : createCachedRevocationStore(
            deps.tokenStore?.revocations ??
              openNodeRevocationFile(join(deps.dataDir, 'task-token-revocations.db')),
            { maxStalenessMs: parseDuration(idc.tokens.revocations.maxStaleness) },
          );
    keyring = createSigningKeyring(
      {
        rotationMs: parseDuration(idc.tokens.signingKeyRotation),
        retainMs: maxLifetimeMs + TASK_TOKEN_SKEW_MS,
      },
      { keys: deps.tokenStore?.signingKeys ?? fileSigningKeyStore(tokenSigningDir(deps.dataDir)) },
    );
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

  // Last use of IdP subjects and workloads, written behind in batches (`airlock doctor` reads it).
  const lastSeenStore = deps.tokenStore?.lastSeen;
  const lastSeen =
    lastSeenStore && (jwtAuth || mtlsAuth)
      ? createLastSeenRecorder(
          {},
          {
            store: lastSeenStore,
            onError: () =>
              deps.logger.warn({ event: 'last_seen_write_failed' }, 'identity last-seen write failed'),
          },
        )
      : undefined;
  const track = (a: Authenticator) => (lastSeen ? trackLastSeen(a, lastSeen) : a);
  const bearer = [...(taskAuth ? [taskAuth] : []), ...(jwtAuth ? [track(jwtAuth)] : [])];
  let pruner: NodeJS.Timeout | undefined;
  return {
    authenticators: [...bearer, ...(mtlsAuth ? [track(mtlsAuth)] : [])],
    taskTokens,
    revocations,
    registerRoutes(app, apiKey) {
      // Listeners drain before this hook runs: the uses of the last requests are written on close.
      if (lastSeen) app.addHook('onClose', () => lastSeen.flush());
      if (taskTokens && keyring && taskAuth)
        registerTokenEndpoint(app, {
          service: taskTokens,
          authenticators: [apiKey, ...bearer],
          keyring,
          taskTokens: taskAuth,
        });
    },
    registerAdminRoutes(app, route) {
      if (taskTokens && revocations)
        registerTaskAdminRoutes(app, { route, service: taskTokens, revocations });
    },
    async warmUp() {
      await jwtAuth?.warmUp();
      if (revocations) {
        const store = revocations;
        pruner = setInterval(() => {
          store.prune(new Date()).catch(() => {});
        }, PRUNE_INTERVAL_MS);
        pruner.unref();
      }
    },
    close() {
      clearInterval(pruner);
      revocations?.close();
      // Queued before the caller goes on to close the store connection (after its next await).
      lastSeen?.close().catch(() => {});
    },
  };
}
