// The composition root: the one place that wires planes together. Everything is built once from
// validated config; there are no module-level singletons, so a test can build a gateway alone.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { apiDecisionRequest, createApiAuthorizeStage } from './apis/authorize.ts';
import { apiCallOf } from './apis/call.ts';
import { createApiServices } from './apis/service.ts';
import { registerApiSurface } from './apis/surface.ts';
import { durationMs } from './config/duration.ts';
import type { AirlockConfig } from './config/schema.ts';
import { compileDlp, createLiveDlp, type LiveDlp } from './dlp/live-dlp.ts';
import type { FindingsSummary } from './dlp/summary.ts';
import type { RequestTracer } from './evidence/tracing/request-tracer.ts';
import type { AuditLogReader } from './evidence/types.ts';
import { registerAdminAuditRoutes } from './http/admin-audit-routes.ts';
import { type AdminRoute, createAdminRoute } from './http/admin-route.ts';
import { registerAdminSurface } from './http/admin-surface.ts';
import type { RequestContext } from './http/context.ts';
import { createGatewayMetrics, type GatewayMetrics } from './http/metrics.ts';
import { registerOpenAiSurface } from './http/openai-surface.ts';
import type { Pipeline, Stage } from './http/pipeline.ts';
import { buildListener, type Listener } from './http/server.ts';
import { createAccountStage } from './http/stages/account.ts';
import { createAuthenticateStage } from './http/stages/authenticate.ts';
import { createForwardStage } from './http/stages/forward.ts';
import {
  createInspectInStage,
  createInspectOutStage,
  createOpenAiRequestDlp,
} from './http/stages/inspect.ts';
import { createPassThroughStage } from './http/stages/passthrough.ts';
import { createQuotaStage } from './http/stages/quota.ts';
import { type AuditSink, createBodyHasher, createRecordStage, toJsonObject } from './http/stages/record.ts';
import { createResolveStage } from './http/stages/resolve.ts';
import { createApiKeyAuthenticator } from './identity/api-key-authenticator.ts';
import { createIdentityPlane } from './identity/identity-plane.ts';
import { createKeyService, type KeyService } from './identity/key-service.ts';
import type { TaskTokenStore } from './identity/task-token-store.ts';
import type { Authenticator } from './identity/types.ts';
import type { Router } from './inference/types.ts';
import {
  apiToolDecidedAs,
  createApiToolAuthorizer,
  createApiToolCatalog,
  mergeToolCatalogs,
} from './mcp/api-tools.ts';
import { createMcpApprovals } from './mcp/approvals.ts';
import { createMcpContent } from './mcp/content.ts';
import { createPolicyContentAuthorizer } from './mcp/content-authorizer.ts';
import type { McpPlane } from './mcp/plane.ts';
import { createPolicyToolAuthorizer } from './mcp/policy-authorizer.ts';
import { createMcpRecordStage } from './mcp/record.ts';
import { createMcpRequestDlp } from './mcp/stages.ts';
import { mcpStepUp } from './mcp/step-up.ts';
import { registerMcpSurface } from './mcp/surface.ts';
import { createPolicyAuthorizeStage, visibleModels } from './policy/authorize-stage.ts';
import { createDecisionPointFromConfig } from './policy/config.ts';
import type { PrivilegePlane } from './policy/privilege-plane.ts';
import type { DecisionPoint } from './policy/types.ts';
import { createTokenBudgets } from './quota/token-budget.ts';
import { createSecretResolver, ensureSecretFile, secretsDir } from './secrets/secret-files.ts';
import type { Store } from './store/types.ts';

export interface GatewayDeps {
  readonly store: Store;
  readonly router: Router;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly metrics?: GatewayMetrics;
  /** Key for keyed hashes of request and response bodies in audit entries. */
  readonly bodyHashKey?: Uint8Array;
  /** Extra readiness checks contributed by other planes (workers, egress guard …). */
  readonly readiness?: () => Record<string, { ok: boolean; reason?: string }>;
  /** `secret:NAME` → value (the vault, falling back to secret files). */
  readonly resolveSecret?: (ref: string) => string;
  /** MCP upstreams and their pinned tool catalog; /mcp is served when present. */
  readonly mcp?: McpPlane;
  /** OpenTelemetry request tracer (one span per stage), when tracing is configured. */
  readonly tracer?: RequestTracer;
  /** The audit log's read side, served on the admin API. */
  readonly auditReader?: AuditLogReader;
  /** Folder relative policy files are resolved against (the config file's folder). */
  readonly configDir?: string;
  /** Approvals, break-glass and two-person policy changes (its decision point is the one in force). */
  readonly privilege?: PrivilegePlane;
  /** A prebuilt decision point (tests); default: compiled from config.policy. */
  readonly pdp?: DecisionPoint;
  /** Console sessions of local users (the users plane). */
  readonly sessionAuthenticator?: Authenticator;
  /** Extra admin-listener routes (login, logout, TOTP enrolment, model custody); `route` runs an
   *  operation through the admin pipeline. */
  readonly adminRoutes?: (app: FastifyInstance, route: AdminRoute) => void;
  /** Task-token revocations and signing keys in the store, shared by replicas (start.ts). */
  readonly tokenStore?: TaskTokenStore;
  /** The DLP in force (shared with the log redactor); default: compiled from config.dlp. */
  readonly dlp?: LiveDlp;
}

export interface Gateway {
  readonly keys: KeyService;
  readonly metrics: GatewayMetrics;
  /** Binds the listeners; returns their base URLs. */
  start(): Promise<{ client: string; admin?: string }>;
  /** Stops accepting, drains in-flight requests, then closes planes. */
  close(): Promise<void>;
}

export function pepperPath(dataDir: string): string {
  return join(secretsDir(dataDir), 'api-key-pepper');
}

export function createKeyServiceFor(
  config: AirlockConfig,
  deps: { store: Store; dataDir: string; audit?: AuditSink },
): KeyService {
  return createKeyService({
    store: deps.store,
    pepper: ensureSecretFile(pepperPath(deps.dataDir)),
    maxTtlMs: durationMs(config.keys.maxTtl),
    rotationOverlapMs: durationMs(config.keys.rotationOverlap),
    onEvent: deps.audit
      ? async (e) => {
          await deps.audit!.append({ type: e.type, outcome: 'info', detail: toJsonObject(e) });
        }
      : undefined,
  });
}

export function createGateway(config: AirlockConfig, deps: GatewayDeps): Gateway {
  const metrics = deps.metrics ?? createGatewayMetrics();
  const pepper = ensureSecretFile(pepperPath(deps.dataDir));
  const keys = createKeyServiceFor(config, { store: deps.store, dataDir: deps.dataDir, audit: deps.audit });
  const requestId = () => `req_${randomUUID()}`;
  // Compiled once per policy version; a broken policy stops start-up here (config_invalid).
  const pdp =
    deps.privilege?.pdp ??
    deps.pdp ??
    createDecisionPointFromConfig(config.policy, { baseDir: deps.configDir ?? process.cwd() });
  // Obligations run before authorize (an approval or break-glass grant is decision input) and wrap it
  // (a needs-approval decision opens an approval request; an allow consumes the approval).
  const obligations = deps.privilege?.obligations;
  // Detectors compile once here; a broken custom rule or an action override that would silently let
  // credentials through stops start-up, not the first request. Actions resolve per route, principal
  // and model; each surface scans its inbound text once, before authorize (policies read
  // context.findings), and inspect-in acts on that scan. An approved config change to `dlp` swaps
  // the whole engine for new requests; each request keeps the one it started with (live-dlp.ts).
  const dlpDeps = deps.dlp ?? createLiveDlp(compileDlp(config.dlp));
  deps.privilege?.config?.onCheck((next) => compileDlp(next.dlp));
  deps.privilege?.config?.onLive((next, plan) => {
    if (plan.live.some((p) => p === 'dlp' || p.startsWith('dlp.'))) dlpDeps.swap(next.dlp);
  });
  const v1Dlp = createOpenAiRequestDlp(dlpDeps);
  const authorizeClient = obligations
    ? [
        obligations.stage,
        obligations.authorize(
          createPolicyAuthorizeStage({ pdp, context: obligations.context, findings: v1Dlp.summary }),
        ),
      ]
    : [createPassThroughStage('obligations'), createPolicyAuthorizeStage({ pdp, findings: v1Dlp.summary })];
  const hasher = deps.bodyHashKey ? createBodyHasher(deps.bodyHashKey) : undefined;
  const authenticator = createApiKeyAuthenticator({ store: deps.store, pepper });
  const budgets = createTokenBudgets({ store: deps.store });
  const apiServices = createApiServices(config.apis, {
    baseDir: deps.configDir ?? process.cwd(),
    resolveSecret: deps.resolveSecret ?? createSecretResolver(deps.dataDir),
  });
  const quota = createQuotaStage({ quotas: config.quotas, budgets });
  // An approved config change swaps quota rules in place (src/policy/changes/config-plan.ts).
  deps.privilege?.config?.onLive((next) => quota.update(next.quotas));
  const account = createAccountStage({ budgets, budgetScopes: quota.budgetScopes });
  // The aliases in force: an approved change to `models` swaps the router (start.ts) and this list.
  let models = config.models;
  deps.privilege?.config?.onLive((next, plan) => {
    if (plan.live.some((p) => /^models\b/.test(p))) models = next.models;
  });
  const catalogue = {
    list: () => models.map((m) => deps.router.resolve(m.alias)).filter((m) => m !== undefined),
  };

  const identity = createIdentityPlane(config, {
    dataDir: deps.dataDir,
    logger: deps.logger,
    resolveSecret: deps.resolveSecret ?? createSecretResolver(deps.dataDir),
    audit: deps.audit,
    ...(deps.tokenStore ? { tokenStore: deps.tokenStore } : {}),
  });
  // API keys first, then bearer tokens (task tokens, IdP JWTs), sessions, and the client certificate last.
  const authenticators = [
    authenticator,
    ...identity.authenticators.filter((a) => a.id !== 'mtls'),
    ...(deps.sessionAuthenticator ? [deps.sessionAuthenticator] : []),
    ...identity.authenticators.filter((a) => a.id === 'mtls'),
  ];
  const authenticateClient = createAuthenticateStage({ authenticators, surface: 'client' });
  const clientPipeline: Pipeline = {
    decide: [
      authenticateClient,
      createResolveStage({ router: deps.router }),
      ...authorizeClient,
      quota,
      createInspectInStage(v1Dlp),
      // account registers its per-chunk hook before inspect-out's: tokens are counted as the
      // upstream generates them, even while inspect-out holds text back.
      account,
      createInspectOutStage(v1Dlp),
    ],
    forward: createForwardStage({
      router: deps.router,
      catalogue,
      startedAt: Date.now(),
      visible: (ctx, models) => visibleModels(ctx, pdp, models),
    }),
    record: createRecordStage({ sink: deps.audit, surface: 'openai', hasher, settle: account.settle }),
  };

  const listeners: Listener[] = [];
  const client = buildListener(config.listeners.client, config.limits);
  registerOpenAiSurface(client.app, {
    pipeline: clientPipeline,
    authenticate: authenticateClient,
    metrics,
    maxMessages: config.limits.maxMessages,
    requestId,
    hasher,
    ...(deps.tracer ? { tracer: deps.tracer } : {}),
  });
  // Where a human approves (MCP URL-mode elicitation): the configured URL, else the admin API on the
  // admin listener (its port is known once it listens); without one, approvers use the CLI.
  let adminBase: string | undefined;
  const approvalUrl = (id: string) =>
    config.approvals.url
      ? config.approvals.url.replaceAll('{id}', encodeURIComponent(id))
      : adminBase
        ? `${adminBase}/admin/v1/approvals/${encodeURIComponent(id)}`
        : `urn:airlock:approval:${encodeURIComponent(id)}`;
  const mcpApprovals = deps.privilege
    ? createMcpApprovals({
        approvals: deps.privilege.approvals,
        approvalUrl,
        decidedAs: (tool) => apiToolDecidedAs(apiServices, tool),
      })
    : undefined;
  // Operations chosen in apis[].expose.mcpTools join the MCP catalog, decided as api/call (P10).
  const apiTools = config.apis.some((a) => a.expose.mcpTools.length > 0)
    ? createApiToolCatalog(apiServices)
    : undefined;
  const toolCatalog =
    deps.mcp && apiTools ? mergeToolCatalogs([deps.mcp.catalog, apiTools]) : (deps.mcp?.catalog ?? apiTools);
  // Route /mcp overrides for prompts and resources, resolved like the tools/call ones.
  const mcpDlp = createMcpRequestDlp(dlpDeps);
  // Tool decisions see a granted approval and the console session's step-up (@stepup on a tool).
  const stepUp = deps.privilege?.stepUp;
  const mcpContext =
    mcpApprovals || stepUp
      ? {
          context: (ctx: RequestContext) => ({
            ...mcpApprovals?.context(ctx),
            ...stepUp?.context(ctx),
          }),
        }
      : {};
  const toolAuthorizer = createPolicyToolAuthorizer(pdp, mcpContext);
  if (toolCatalog)
    registerMcpSurface(client.app, {
      // The resource tokens are bound to (RFC 8707): identity.audience when it is a URI.
      config: {
        ...config.mcp.surface,
        resource:
          config.mcp.surface.resource ??
          (URL.canParse(config.identity.audience) ? config.identity.audience : undefined),
      },
      catalog: toolCatalog,
      authenticate: authenticateClient,
      authorize: apiTools
        ? createApiToolAuthorizer(apiServices, pdp, toolAuthorizer, mcpContext)
        : toolAuthorizer,
      // Approvals first (a needs-approval opens one), then step-up (a JSON-RPC error naming the route).
      ...(mcpApprovals || stepUp
        ? {
            wrapAuthorize: (s: Stage) => {
              const approved = mcpApprovals ? mcpApprovals.wrap(s) : s;
              return stepUp ? mcpStepUp(stepUp)(approved) : approved;
            },
          }
        : {}),
      // Prompts and resources of the upstreams, decided per caller like tools (P4).
      ...(deps.mcp
        ? {
            content: createMcpContent({
              catalog: deps.mcp.content,
              authorize: createPolicyContentAuthorizer(pdp),
              inspect: {
                engine: dlpDeps.engine,
                engineFor: (ctx) => mcpDlp.engineFor(ctx),
                actionsFor: (ctx) => mcpDlp.actionsFor(ctx).layers,
              },
            }),
          }
        : {}),
      inspect: dlpDeps,
      record: createMcpRecordStage({ sink: deps.audit, hasher }),
      extraStages: [quota],
      requestId,
      hasher,
    });
  // /api: the same approvals, break-glass and step-up as /v1, bound to api/call on the ApiOperation
  // and the call's flat arguments (an approved REST call is repeated with x-airlock-approval).
  const apiObligations = deps.privilege?.obligationsFor({
    requestFor: (ctx) => apiDecisionRequest(ctx),
    argumentsOf: (ctx) => apiCallOf(ctx)?.arguments ?? {},
    approvalUrl,
  });
  const apiAuthorize = (findings: (ctx: RequestContext) => FindingsSummary): Stage => {
    const inner = createApiAuthorizeStage({
      pdp,
      findings,
      ...(apiObligations ? { context: apiObligations.context } : {}),
    });
    if (!apiObligations) return inner;
    const wrapped = apiObligations.authorize(inner);
    return {
      name: 'authorize',
      async run(ctx) {
        await apiObligations.stage.run(ctx);
        await wrapped.run(ctx);
      },
    };
  };
  if (config.apis.length > 0)
    registerApiSurface(client.app, {
      services: apiServices,
      authenticate: authenticateClient,
      authorize: apiAuthorize,
      quota,
      dlp: dlpDeps,
      record: createRecordStage({ sink: deps.audit, surface: 'api', hasher }),
      requestId,
      hasher,
      pdp,
    });
  identity.registerRoutes(client.app, authenticator);
  registerHealthRoutes(client, deps, metrics);
  listeners.push(client);

  let admin: Listener | undefined;
  if (config.listeners.admin) {
    admin = buildListener(config.listeners.admin, config.limits);
    const adminRouteDeps = {
      decide: [
        createAuthenticateStage({ authenticators, surface: 'admin' }),
        // A console session that completed a step-up carries it into admin decisions (@stepup).
        deps.privilege
          ? deps.privilege.stepUp.authorize(
              createPolicyAuthorizeStage({ pdp, surface: 'admin', context: deps.privilege.stepUp.context }),
            )
          : createPolicyAuthorizeStage({ pdp, surface: 'admin' }),
      ],
      record: createRecordStage({ sink: deps.audit, surface: 'admin' }),
      requestId,
      ...(deps.tracer ? { tracer: deps.tracer } : {}),
    };
    registerAdminSurface(admin.app, { ...adminRouteDeps, keys });
    if (deps.auditReader)
      registerAdminAuditRoutes(admin.app, { route: createAdminRoute(adminRouteDeps), log: deps.auditReader });
    deps.privilege?.registerAdminRoutes(admin.app, createAdminRoute(adminRouteDeps));
    identity.registerAdminRoutes(admin.app, createAdminRoute(adminRouteDeps));
    deps.adminRoutes?.(admin.app, createAdminRoute(adminRouteDeps));
    registerHealthRoutes(admin, deps, metrics);
    listeners.push(admin);
  }

  return {
    keys,
    metrics,
    async start() {
      deps.router.start();
      await identity.warmUp();
      const clientUrl = await client.listen();
      const adminUrl = admin ? await admin.listen() : undefined;
      adminBase = adminUrl;
      deps.logger.info(
        { event: 'listening', client: clientUrl, admin: adminUrl ?? null },
        'airlock listening',
      );
      return adminUrl ? { client: clientUrl, admin: adminUrl } : { client: clientUrl };
    },
    async close() {
      await Promise.all(listeners.map((l) => l.close()));
      await deps.router.close();
      await apiServices.close();
      await budgets.close();
      identity.close();
    },
  };
}

function registerHealthRoutes(listener: Listener, deps: GatewayDeps, metrics: GatewayMetrics): void {
  const app = listener.app;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const store = await deps.store.ping();
    const audit = deps.audit.health();
    const checks: Record<string, { ok: boolean; reason?: string }> = {
      store: store ? { ok: true } : { ok: false, reason: 'store did not answer a ping' },
      audit,
      ...deps.readiness?.(),
      ...deps.privilege?.readiness(),
    };
    const upstreams = deps.router.health();
    for (const [name, h] of Object.entries(upstreams))
      metrics.upstreamHealthy.set({ upstream: name }, h.healthy ? 1 : 0);
    const ready = Object.values(checks).every((c) => c.ok);
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', checks, upstreams };
  });
  app.get('/metrics', async (_req, reply) => {
    const counts = await deps.privilege?.counts().catch(() => undefined);
    if (counts) {
      metrics.privilege.set({ kind: 'breakglass_open' }, counts.breakGlassOpen);
      metrics.privilege.set({ kind: 'breakglass_unreviewed' }, counts.breakGlassUnreviewed);
      metrics.privilege.set({ kind: 'approvals_pending' }, counts.approvalsOpen);
    }
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
