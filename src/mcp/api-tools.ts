// Internal REST operations as MCP tools (P10): the operations a service lists in
// `apis[].expose.mcpTools` join the MCP catalog as `<service>__<operationId>`, and every decision
// about them is the /api decision — action `api/call` on ApiOperation::"<service>__<operationId>"
// with the call's flat arguments as `context.arguments`, built by the same function the /api
// surface uses — so a microservice calling POST /api/orders/orders and an agent calling the tool
// orders__createOrder meet one policy and leave audit entries with the same action and policies.
// The operations come from the site's own OpenAPI document, chosen in config: no tool pinning.
import { apiDecisionRequest } from '../apis/authorize.ts';
import { setApiCall } from '../apis/call.ts';
import { argumentsOf, parseToolArguments } from '../apis/request.ts';
import type { ApiService, ApiServices } from '../apis/service.ts';
import { createApiToolUpstream, openApiOperationsAsTools } from '../apis/tools.ts';
import type { RequestContext } from '../http/context.ts';
import type { DecisionContext, DecisionPoint } from '../policy/types.ts';
import type { ToolCatalog } from './catalog.ts';
import { splitName } from './catalog.ts';
import { toolDefinitionHash } from './tool-hash.ts';
import type {
  AuthorizeTool,
  CatalogTool,
  McpUpstream,
  ToolAuthorizationRequest,
  ToolDecision,
} from './types.ts';

/** The exposed operations of every service, as a catalog (the lists never change while running). */
export function createApiToolCatalog(services: ApiServices): ToolCatalog {
  const upstreams = new Map<string, McpUpstream>();
  const tools: CatalogTool[] = [];
  for (const s of services.list()) {
    if (s.config.expose.mcpTools.length === 0) continue;
    upstreams.set(s.name, createApiToolUpstream(services, s.name));
    for (const definition of openApiOperationsAsTools(s)) {
      const parts = splitName(definition.name)!;
      tools.push({
        name: definition.name,
        server: s.name,
        upstreamName: parts.tool,
        definition,
        hash: toolDefinitionHash(definition),
        pin: 'not-required',
      });
    }
  }
  const byName = new Map(tools.map((t) => [t.name, t]));
  return {
    all: async () => [...tools],
    visible: async () => [...tools],
    resolve: async (name) => byName.get(name),
    upstream: (server) => upstreams.get(server),
    invalidate() {},
  };
}

/** What an operation-backed tool is decided as (undefined for any other tool). */
export function apiToolDecidedAs(
  services: ApiServices,
  tool: Pick<CatalogTool, 'name' | 'server' | 'upstreamName'>,
): { action: string; resource: string } | undefined {
  const service = services.get(tool.server);
  if (!service?.config.expose.mcpTools.includes(tool.upstreamName)) return undefined;
  return { action: 'api/call', resource: `ApiOperation::${tool.name}` };
}

/** One catalog over several (MCP servers first); a name resolves in the first that has it. */
export function mergeToolCatalogs(catalogs: readonly ToolCatalog[]): ToolCatalog {
  return {
    all: async (signal) => (await Promise.all(catalogs.map((c) => c.all(signal)))).flat(),
    visible: async (signal) => (await Promise.all(catalogs.map((c) => c.visible(signal)))).flat(),
    async resolve(name, signal) {
      for (const c of catalogs) {
        const t = await c.resolve(name, signal);
        if (t) return t;
      }
      return undefined;
    },
    upstream(server) {
      for (const c of catalogs) {
        const u = c.upstream(server);
        if (u) return u;
      }
      return undefined;
    },
    invalidate(server) {
      for (const c of catalogs) c.invalidate(server);
    },
  };
}

/** The /api decision for a tool backed by an operation (`inner` decides every other tool). */
export function createApiToolAuthorizer(
  services: ApiServices,
  pdp: DecisionPoint,
  inner: AuthorizeTool,
  opts: {
    /** Context only the obligations know (a granted approval this call presents). */
    readonly context?: (ctx: RequestContext) => Partial<DecisionContext>;
  } = {},
): AuthorizeTool {
  const operationOf = (req: ToolAuthorizationRequest): { service: ApiService; id: string } | undefined => {
    const service = services.get(req.server);
    const parts = splitName(req.tool);
    if (!service || !parts || !service.config.expose.mcpTools.includes(parts.tool)) return undefined;
    return { service, id: parts.tool };
  };
  return (ctx: RequestContext, req): ToolDecision | Promise<ToolDecision> => {
    const found = operationOf(req);
    if (!found) return inner(ctx, req);
    const operation = found.service.api.byId(found.id)!;
    const args = req.arguments ?? {};
    const parsed = parseToolArguments(operation, args);
    // The same flat arguments /api hands policy; arguments the operation would refuse are decided as
    // sent (the call then fails as a tool error without reaching the service).
    setApiCall(ctx, {
      service: found.service,
      operation,
      parts: parsed.ok ? parsed.parts : { path: {}, query: {}, headers: {}, body: undefined },
      arguments: parsed.ok ? argumentsOf(operation, parsed.parts) : { ...args },
    });
    const base = apiDecisionRequest(ctx);
    if (!base) return { kind: 'deny', policies: [] };
    const request = { ...base, context: { ...base.context, ...opts.context?.(ctx) } };
    const d = pdp.decide(request);
    // The audit trail names what was decided: the same action and resource as a REST call.
    if (req.action === 'tools/call')
      ctx.trail.push({
        stage: 'authorize',
        outcome: 'info',
        detail: { action: request.action, resource: `${request.resource.type}::${request.resource.id}` },
      });
    return { kind: d.kind, policies: d.policies, obligations: d.obligations };
  };
}
