// Starts a complete airlock from a loaded config: egress policy, store, embedded workers, adapters,
// router, audit sink and the gateway. `airlock serve` calls it; so do end-to-end tests.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { durationMs } from './config/duration.ts';
import type { LoadedConfig } from './config/load.ts';
import { registerModelRoutes } from './custody/admin-routes.ts';
import { measureAdapters } from './custody/measured-adapter.ts';
import { custodyDbPath } from './custody/open.ts';
import { createCustodyRuntime } from './custody/runtime.ts';
import { createServingChangeRecorder } from './custody/serving-changes.ts';
import { createVersionMetrics } from './custody/version-metrics.ts';
import { openSqliteVersionStats } from './custody/version-stats-sqlite.ts';
import { compileDlp, createLiveDlp, type LiveDlp } from './dlp/live-dlp.ts';
import { egressChildOptions } from './egress/child-options.ts';
import type { EgressEvent } from './egress/denial.ts';
import type { EgressGuard } from './egress/guard.ts';
import { buildEgressPolicy } from './egress/policy.ts';
import { createExportFanout } from './evidence/exports/fanout.ts';
import { createExporters } from './evidence/exports/registry.ts';
import { openAuditLog } from './evidence/open.ts';
import { openTracing } from './evidence/tracing/open.ts';
import type { AuditEventType } from './evidence/types.ts';
import { openCosignPublisher } from './evidence/witness/wiring.ts';
import { createGateway, type Gateway } from './gateway.ts';
import { createGatewayMetrics } from './http/metrics.ts';
import { type AuditSink, toJsonObject } from './http/stages/record.ts';
import { createTaskTokenStore } from './identity/task-token-store.ts';
import { throttlePolicy } from './identity/users/config.ts';
import { registerLoginRoutes } from './identity/users/login-routes.ts';
import { createUsersPlane } from './identity/users/open-users.ts';
import type { UserEvent } from './identity/users/user-service.ts';
import { createAdapter } from './inference/adapter-registry.ts';
import { createLiveRouter } from './inference/live-router.ts';
import { createRouteGenerations } from './inference/route-generations.ts';
import { createWorkerSupervisor, type WorkerSupervisor } from './inference/worker/supervisor.ts';
import { createMcpPlane } from './mcp/plane.ts';
import { userTotpVerifier } from './policy/breakglass/user-totp.ts';
import { createDecisionPointFromConfig } from './policy/config.ts';
import { keyLineage } from './policy/key-lineage.ts';
import { createPrivilegePlane } from './policy/privilege-plane.ts';
import { registerStepUpRoutes } from './policy/stepup/routes.ts';
import { openVault } from './secrets/open-vault.ts';
import { createVaultSecretResolver } from './secrets/vault-resolver.ts';
import { openStore } from './store/open-store.ts';

export interface StartOptions {
  readonly logger: Logger;
  /** The process-wide guard installed by bin/airlock.js; absent in in-process tests. */
  readonly egress?: { readonly guard: EgressGuard; onDenied(handler: (e: EgressEvent) => void): void };
  /** Audit sink; defaults to the configured tamper-evident log (config.audit). */
  readonly audit?: AuditSink;
  /** The DLP in force, when the caller's log redactor follows it (serve); default: from config.dlp. */
  readonly dlp?: LiveDlp;
}

export interface RunningAirlock {
  readonly gateway: Gateway;
  readonly urls: { client: string; admin?: string };
  readonly workers: ReadonlyMap<string, WorkerSupervisor>;
  close(): Promise<void>;
}

/** Reported in CEF, OCSF and OTLP resource attributes. */
const AIRLOCK_VERSION = '0.1.0';
const CLI_ENTRY = fileURLToPath(new URL('../bin/airlock.js', import.meta.url));

export async function startAirlock(loaded: LoadedConfig, opts: StartOptions): Promise<RunningAirlock> {
  const { config, dataDir } = loaded;
  const logger = opts.logger;
  const guard = opts.egress?.guard;
  const policy = buildEgressPolicy(config);
  if (guard) {
    guard.setPolicy(policy);
    opts.egress!.onDenied((e) => {
      logger.warn({ event: 'egress_denied', ...e }, 'egress refused');
      audit
        .append({ type: 'egress.denied', outcome: 'deny', code: 'egress_denied', detail: toJsonObject(e) })
        .catch(() => {});
    });
  }
  // Derived copies of committed entries (JSON Lines, OCSF, syslog/CEF) and OpenTelemetry traces.
  const fanout = createExportFanout(
    createExporters(config.audit.exports, { dataDir, version: AIRLOCK_VERSION }),
  );
  const tracing = openTracing(config.tracing, {
    dataDir,
    version: AIRLOCK_VERSION,
    log: (level, msg, fields) => logger[level](fields ?? {}, msg),
  });
  const opened = opts.audit
    ? undefined
    : await openAuditLog(config.audit, {
        onCommitted: fanout.committedLeaves,
        dataDir,
        ...(config.store.driver === 'postgres' ? { storeUrl: config.store.url } : {}),
      });
  const audit: AuditSink = opts.audit ?? opened!.log;
  // Checkpoints go to the configured witnesses; k of n cosignatures make a published checkpoint.
  const publisher =
    opened &&
    openCosignPublisher(config.audit.witnessing, {
      log: opened.log,
      logVkey: opened.signer.vkey,
      dataDir,
      onEvent: (e) =>
        e.event === 'witness.published'
          ? logger.info(e, 'checkpoint cosigned')
          : e.event === 'witness.fork'
            ? logger.error(e, 'a witness has seen another history of this log')
            : logger.warn(e, 'witnessing degraded'),
    });
  publisher?.start();

  const store = await openStore(config.store, { dataDir });
  const workers = new Map<string, WorkerSupervisor>();
  // Closed in reverse: gateway (drain) → adapters → workers → store → audit log (last, so the drain's
  // entries are committed).
  const cleanup: (() => Promise<void>)[] = [
    async () => {
      await tracing?.exporter.close();
      await fanout.close();
    },
    async () => opened?.log.close(),
    async () => publisher?.stop(),
    () => store.close(),
  ];
  const closeAll = async () => {
    for (const fn of cleanup.reverse())
      await fn().catch((err) => logger.error({ err: String(err) }, 'shutdown step failed'));
  };
  try {
    await store.migrate();
    // The vault opens tolerant: a key problem refuses every secret and says why in /readyz, so the
    // gateway still starts and fails closed only for what needs a secret.
    const vaultOpened = await openVault(config.vault, {
      dataDir,
      env: process.env,
      store: config.store,
      tolerateUnavailable: true,
    });
    cleanup.push(() => vaultOpened.close());
    const secrets = createVaultSecretResolver(vaultOpened.vault, {
      dataDir,
      refreshIntervalMs: durationMs(config.vault.refreshInterval),
    });
    cleanup.push(async () => secrets.close());
    await secrets.refresh().catch(() => {});
    const users = createUsersPlane(config.users, {
      connection: vaultOpened.connection,
      vault: vaultOpened.vault,
      onEvent: (e) =>
        audit
          .append({
            type: userAuditType(e.type),
            outcome:
              e.type === 'user.login.succeeded' ? 'allow' : e.type.startsWith('user.login') ? 'deny' : 'info',
            detail: toJsonObject(e),
          })
          .then(() => {}),
    });
    // Model custody (P7): workers re-hash their GGUF before every start; the router refuses targets
    // whose model is not approved (enforced when custody.enforce is on).
    const custody = createCustodyRuntime(config.custody, {
      dataDir,
      upstreams: config.upstreams,
      onEvent: (e) =>
        audit
          .append({ type: 'admin.change', outcome: 'info', detail: toJsonObject({ change: e.type, ...e }) })
          .catch(() => {}),
      // A vLLM / llama.cpp target that stops (or resumes) matching the inventory: audit + metrics.
      // Called from health rounds only, which start after the recorder below exists.
      onServingChange: (e) => recordServingChange(e),
    });
    cleanup.push(async () => custody.close());
    // Embedded workers: a child process each, guarded by the same egress policy (preload).
    const child = egressChildOptions(policy);
    for (const u of config.upstreams) {
      if (u.kind !== 'embedded' || !u.worker) continue;
      const supervisor = createWorkerSupervisor(
        {
          name: u.name,
          // A worker bound to an inventory alias gets its file from custody at every (re)start.
          modelPath:
            u.worker.modelPath !== undefined
              ? resolve(loaded.dir, u.worker.modelPath)
              : `inventory:${u.worker.model}`,
          threads: u.worker.threads,
          contextSize: u.worker.contextSize,
          port: u.worker.port,
        },
        {
          logger: {
            info: (obj, msg) => logger.info({ worker: u.name, ...obj }, msg),
            warn: (obj, msg) => {
              logger.warn({ worker: u.name, ...obj }, msg);
              // The worker's egress guard reports refusals on stderr; they are evidence (P1).
              if (obj.event === 'egress_denied')
                audit
                  .append({
                    type: 'egress.denied',
                    outcome: 'deny',
                    code: 'egress_denied',
                    detail: toJsonObject({ worker: u.name, ...obj }),
                  })
                  .catch(() => {});
            },
            error: (obj, msg) => logger.error({ worker: u.name, ...obj }, msg),
          },
          onEvent: (e) => {
            // A restarted worker may come back on another port; allow whichever it announces.
            if (e.type === 'ready') guard?.allowLoopbackPort(Number(new URL(e.baseUrl).port));
            audit
              .append({ type: 'worker.lifecycle', outcome: 'info', detail: toJsonObject(e) })
              .catch(() => {});
          },
          cliEntry: CLI_ENTRY,
          beforeLoad: (path) => custody.beforeWorkerLoad(u.name, path),
          execArgv: child.execArgv,
          extraEnv: child.env,
        },
      );
      workers.set(u.name, supervisor);
      cleanup.push(() => supervisor.stop());
      await supervisor.start();
    }

    // MCP upstreams: stdio children under the egress guard with only their own secrets; tools pinned.
    // One DLP in force for every surface, the tool pin scan and the log redactor; an approved
    // config change to `dlp` swaps it (the gateway subscribes it).
    const dlp = opts.dlp ?? createLiveDlp(compileDlp(config.dlp));
    const mcp =
      config.mcp.servers.length > 0
        ? createMcpPlane(config.mcp, {
            dataDir,
            baseDir: loaded.dir,
            resolveSecret: secrets.resolve,
            looksLikeSecret: (t) => dlp.engine.scan(t, 'vars').some((f) => f.category === 'secret'),
            audit,
            log: (level, fields, msg) => logger[level](fields, msg),
          })
        : undefined;
    if (mcp) {
      cleanup.push(() => mcp.close());
      await mcp.start();
    }

    // Per model version metrics (Prometheus + hourly aggregates in custody.db for `models compare`).
    const metrics = createGatewayMetrics();
    const recordServingChange = createServingChangeRecorder({
      registry: metrics.registry,
      audit,
      onError: (err) => logger.warn({ err: String(err) }, 'model serving change not audited'),
    });
    const versionStats = openSqliteVersionStats(custodyDbPath(dataDir));
    const versionMetrics = createVersionMetrics({
      registry: metrics.registry,
      store: versionStats,
      onError: (err) => logger.warn({ err: String(err) }, 'model version statistics not saved'),
    });
    cleanup.push(async () => {
      versionMetrics.close();
      versionStats.close();
    });
    // Router generations: the one built here, and one per approved change to models/upstreams, each
    // metered and admitted by custody alike; requests finish on the generation they resolved on.
    const routes = createRouteGenerations({
      createAdapter: (u) =>
        createAdapter(u, {
          resolveSecret: secrets.resolve,
          embeddedBaseUrl: (name) => workers.get(name)?.baseUrl(),
        }),
      wrap: (adapters) =>
        measureAdapters(adapters, { metrics: versionMetrics, versionOf: custody.versionOf }),
      router: {
        admit: custody.refusal,
        verify: custody.verifiers,
        onEvent: (e) => logger.info({ event: `router.${e.type}`, ...e }, 'router event'),
      },
      allows: (host, port) => policy.allows(host, port),
    });
    const router = createLiveRouter(routes.build(config), {
      onError: (err) => logger.warn({ err: String(err) }, 'retired upstream adapter did not close cleanly'),
    });
    cleanup.push(() => router.closeAdapters());
    // Approvals, break-glass and two-person policy changes; its decision point is the one in force.
    const sameHolder = keyLineage(store);
    const privilege = await createPrivilegePlane({
      dataDir,
      configDir: loaded.dir,
      policy: config.policy,
      initial: createDecisionPointFromConfig(config.policy, { baseDir: loaded.dir }),
      audit,
      verifyTotp: userTotpVerifier({
        repo: users.repo,
        vault: vaultOpened.vault,
        throttle: throttlePolicy(config.users.lockout.perUser),
      }),
      approvals: {
        pendingTtlMs: durationMs(config.approvals.pendingTtl),
        approvedTtlMs: durationMs(config.approvals.approvedTtl),
      },
      breakGlass: { maxTtlMs: durationMs(config.breakGlass.maxTtl), role: config.breakGlass.role },
      // Config v1 is the file as read; approved config changes are validated and applied against it.
      config: { text: readFileSync(loaded.path, 'utf8'), parsed: config },
      // An admin who minted a key for another owner counts as that owner for every two-person rule.
      sameHolder,
    });
    cleanup.push(async () => privilege.close());
    privilege.config?.onCheck((next) => routes.check(next));
    privilege.config?.onLive((next, plan) => {
      if (plan.live.some((p) => /^(models|upstreams)\b/.test(p)))
        router.swap(routes.build(next, router.current()));
    });
    const gateway = createGateway(config, {
      dlp,
      metrics,
      privilege,
      store,
      router,
      audit,
      logger,
      dataDir,
      bodyHashKey: opened?.bodyHashKey,
      resolveSecret: secrets.resolve,
      configDir: loaded.dir,
      ...(tracing ? { tracer: tracing.tracer } : {}),
      ...(mcp ? { mcp } : {}),
      ...(opened ? { auditReader: opened.log } : {}),
      sessionAuthenticator: users.authenticator,
      tokenStore: createTaskTokenStore({ connection: vaultOpened.connection, vault: vaultOpened.vault }),
      adminRoutes: (app, route) => {
        registerModelRoutes(app, {
          route,
          inventory: custody.inventory,
          proposals: custody.proposals,
          sameHolder,
        });
        registerLoginRoutes(app, { users: users.users, sessions: users.sessions });
        registerStepUpRoutes(app, { sessions: users.sessions, stepUp: privilege.stepUp });
      },
      readiness: () => ({
        vault: secrets.status(),
        ...Object.fromEntries(
          [...workers].map(([name, w]) => [
            `worker:${name}`,
            w.healthy() ? { ok: true } : { ok: false, reason: 'embedded worker is not healthy' },
          ]),
        ),
      }),
    });
    cleanup.push(() => gateway.close());
    const urls = await gateway.start();
    return { gateway, urls, workers, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Local-user events in the audit vocabulary: logins are authentication, the rest admin changes. */
function userAuditType(type: UserEvent['type']): AuditEventType {
  if (type === 'user.login.succeeded') return 'auth.success';
  if (type === 'user.login.failed' || type === 'user.login.locked') return 'auth.failure';
  return 'admin.change';
}
