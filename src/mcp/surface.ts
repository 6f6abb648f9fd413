// The /mcp surface: MCP over Streamable HTTP (POST one JSON-RPC message, answered with one JSON
// body; GET answers 405 because the gateway opens no server-initiated stream; DELETE ends a
// session). Before any JSON-RPC is read: Host/Origin (DNS rebinding), no credentials in the query,
// JSON only, size limit. Then every message runs the one pipeline (src/mcp/stages.ts) and every
// error is one JSON-RPC envelope with a stable code (src/mcp/jsonrpc.ts). A 401 carries the RFC 9728
// resource_metadata challenge; the metadata document is served here too.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AirlockError, toAirlockError } from '../errors.ts';
import { createRequestContext, type RequestContext } from '../http/context.ts';
import { errorHeaders } from '../http/envelope.ts';
import { type Pipeline, type RecordStage, runPipeline, type Stage } from '../http/pipeline.ts';
import { edgeError } from '../http/server.ts';
import type { BodyHasher } from '../http/stages/record.ts';
import type { ToolCatalog } from './catalog.ts';
import { durationToMs, type McpSurfaceConfig } from './config.ts';
import type { McpContent } from './content.ts';
import {
  bearerChallenge,
  createAccessChecks,
  METADATA_PATH,
  protectedResourceMetadata,
  resourceUri,
  tokenInQuery,
} from './http-checks.ts';
import { classify, httpStatusFor, type JsonRpcId, rpcError } from './jsonrpc.ts';
import { type ParamHeader, paramHeaderMismatch, paramHeaders } from './param-headers.ts';
import { createProgressStream, type ProgressStream } from './progress-stream.ts';
import {
  discoverResult,
  type Era,
  eraOf,
  headerMismatch,
  isModernVersion,
  LEGACY_ONLY_METHODS,
  LEGACY_PROTOCOL_VERSIONS,
  negotiateLegacy,
  resultForRevision,
  SUPPORTED_PROTOCOL_VERSIONS,
} from './revisions.ts';
import { createSessionStore, type SessionStore } from './sessions.ts';
import {
  createMcpAuthorizeStage,
  createMcpInspectInStage,
  createMcpInspectOutStage,
  createMcpRequestDlp,
  createMcpResolveStage,
  type McpContext,
  type McpInspectDeps,
  type McpState,
  mcpOf,
} from './stages.ts';
import type { AuthorizeTool, ToolResult } from './types.ts';

const METHODS = new Set([
  'initialize',
  'ping',
  'logging/setLevel',
  'server/discover',
  'tools/list',
  'tools/call',
]);
const CAPABILITIES = { tools: { listChanged: false } };

export interface McpSurfaceDeps {
  readonly config: McpSurfaceConfig;
  readonly catalog: ToolCatalog;
  /** The same authenticate stage as /v1 (all configured authenticators). */
  readonly authenticate: Stage;
  readonly authorize: AuthorizeTool;
  readonly inspect: McpInspectDeps;
  readonly record: RecordStage;
  readonly requestId: () => string;
  readonly hasher?: BodyHasher;
  /** Stages between authorize and inspect-in (quota, obligations) when the gateway has them. */
  readonly extraStages?: readonly Stage[];
  /** Wraps the authorize stage (approvals by URL-mode elicitation, src/mcp/approvals.ts). */
  readonly wrapAuthorize?: (authorize: Stage) => Stage;
  /** Prompts and resources of the upstreams (src/mcp/content.ts); absent: those methods are unknown. */
  readonly content?: McpContent;
  readonly sessions?: SessionStore;
  readonly serverInfo?: { readonly name: string; readonly version: string };
  readonly instructions?: string;
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const v = request.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** Parses the raw body; refuses prototype-poisoning keys like the rest of the gateway does. */
function parseBody(raw: string): unknown {
  if (raw.includes('"__proto__"') || raw.includes('"constructor"')) {
    return JSON.parse(raw, (key, value) => {
      if (
        key === '__proto__' ||
        (key === 'constructor' && value && typeof value === 'object' && 'prototype' in value)
      )
        throw new AirlockError('invalid_json');
      return value;
    });
  }
  return JSON.parse(raw);
}

export function registerMcpSurface(app: FastifyInstance, deps: McpSurfaceDeps): void {
  const checks = createAccessChecks(deps.config);
  const sessions =
    deps.sessions ??
    createSessionStore({
      maxSessions: deps.config.maxSessions,
      idleMs: durationToMs(deps.config.sessionIdleTimeout),
    });
  const serverInfo = deps.serverInfo ?? { name: 'airlock', version: '0.1.0' };
  const capabilities = deps.content ? { ...CAPABILITIES, ...deps.content.capabilities } : CAPABILITIES;
  const resolve = createMcpResolveStage({
    sessions,
    catalog: deps.catalog,
    // A name that holds a finding (a credential typed as a tool name) is not written to the audit log.
    nameLabel: (ctx, name) => (dlp.engineFor(ctx).scan(name, 'params.name').length > 0 ? '*' : name),
  });
  const methodCheck: Stage = {
    name: 'resolve',
    run(ctx) {
      const m = mcpOf(ctx);
      const known =
        m.method.startsWith('notifications/') ||
        m.method === '(response)' ||
        (METHODS.has(m.method) && !(m.modern && LEGACY_ONLY_METHODS.has(m.method))) ||
        deps.content?.methods.has(m.method) === true;
      if (known) return;
      ctx.trail.push({
        stage: 'resolve',
        outcome: 'deny',
        code: 'mcp_method_not_found',
        detail: { method: m.method },
      });
      throw new AirlockError('mcp_method_not_found');
    },
  };
  // Routing headers against the body, after authenticate so the refusal is recorded with its caller.
  const headerCheck: Stage = {
    name: 'resolve',
    run(ctx) {
      const m = mcpOf(ctx);
      if (m.headerMismatch === undefined) return;
      ctx.trail.push({
        stage: 'resolve',
        outcome: 'deny',
        code: 'mcp_header_mismatch',
        detail: { reason: m.headerMismatch },
      });
      throw new AirlockError('mcp_header_mismatch', { publicDetail: `(${m.headerMismatch})` });
    },
  };
  // One DLP scan per tools/call: authorize puts its summary in the decision, inspect-in acts on it.
  const dlp = createMcpRequestDlp(deps.inspect);
  // Mcp-Param-{Name} headers against the resolved tool's x-mcp-header arguments: required in the
  // 2026 era, and when a 2025-era request carries them they must agree as well.
  const declarations = new WeakMap<object, readonly ParamHeader[]>();
  const paramCheck: Stage = {
    name: 'resolve',
    run(ctx) {
      const m = mcpOf(ctx);
      if (m.method !== 'tools/call' || !m.tool) return;
      const schema = m.tool.definition.inputSchema;
      let decls = declarations.get(schema);
      if (!decls) {
        decls = paramHeaders(schema);
        declarations.set(schema, decls);
      }
      if (decls.length === 0) return;
      const reason = paramHeaderMismatch(
        decls,
        m.arguments ?? {},
        (name) => {
          const v = ctx.headers[name];
          return typeof v === 'string' ? v : undefined;
        },
        m.modern,
      );
      if (reason === undefined) return;
      ctx.trail.push({ stage: 'resolve', outcome: 'deny', code: 'mcp_header_mismatch', detail: { reason } });
      throw new AirlockError('mcp_header_mismatch', { publicDetail: `(${reason})` });
    },
  };
  const decide: Stage[] = [
    deps.authenticate,
    headerCheck,
    methodCheck,
    resolve,
    paramCheck,
    (deps.wrapAuthorize ?? ((s: Stage) => s))(
      createMcpAuthorizeStage({ authorize: deps.authorize, catalog: deps.catalog, findings: dlp.summary }),
    ),
    ...(deps.content ? [deps.content.stage] : []),
    ...(deps.extraStages ?? []),
    createMcpInspectInStage(dlp),
    createMcpInspectOutStage(dlp),
  ];

  const forward = async (ctx: RequestContext) => {
    const m = mcpOf(ctx);
    switch (m.method) {
      case 'initialize': {
        const version = negotiateLegacy(ctx.body.protocolVersion);
        const caps = ctx.body.capabilities;
        const session = sessions.create(
          ctx.principal!,
          version,
          caps && typeof caps === 'object' && !Array.isArray(caps) ? (caps as Record<string, unknown>) : {},
        );
        if (!session)
          throw new AirlockError('gateway_overloaded', { detail: 'mcp session limit', retryAfter: 5 });
        m.session = session;
        return {
          protocolVersion: version,
          capabilities,
          serverInfo,
          ...(deps.instructions ? { instructions: deps.instructions } : {}),
        };
      }
      case 'server/discover':
        return discoverResult(capabilities, deps.instructions);
      case 'tools/list':
        return { tools: (m.listed ?? []).map((t) => t.definition) };
      case 'tools/call': {
        const tool = m.tool!;
        const upstream = deps.catalog.upstream(tool.server);
        if (!upstream) throw new AirlockError('upstream_unavailable');
        const stream = progressStreams.get(ctx);
        const result = await upstream.callTool(
          tool.upstreamName,
          m.arguments ?? {},
          ctx.signal,
          stream ? (p) => stream.progress(p) : undefined,
        );
        ctx.trail.push({
          stage: 'forward',
          outcome: 'allow',
          detail: { server: tool.server, isError: result.isError === true },
        });
        return result;
      }
      default:
        return deps.content?.methods.has(m.method) ? deps.content.forward(ctx) : {};
    }
  };

  const pipeline: Pipeline = {
    decide,
    forward: {
      name: 'forward',
      async run(ctx) {
        return { kind: 'json', status: 200, body: (await forward(ctx)) as Record<string, unknown> };
      },
    },
    record: deps.record,
  };
  // Notifications, client responses and DELETE: authenticate and find the session, nothing else.
  const light: Pipeline = { ...pipeline, decide: [deps.authenticate, headerCheck, methodCheck, resolve] };

  // tools/call with a progress token from a caller that accepts SSE (progress-stream.ts).
  const progressStreams = new WeakMap<RequestContext, ProgressStream>();
  const streamOf = new WeakMap<FastifyReply, ProgressStream>();
  // A progress message is checked with the request's pinned DLP snapshot (an approved live DLP
  // change applies to it as to everything else the request carries).
  // A scan that fails withholds the message (fail closed).
  const sensitiveFor = (ctx: RequestContext) => (text: string) => {
    try {
      return dlp.engineFor(ctx).scan(text, 'progress.message').length > 0;
    } catch {
      return true;
    }
  };

  const resourceFor = (request: FastifyRequest) =>
    resourceUri(deps.config, request.protocol, header(request, 'host') ?? 'localhost');

  const sendError = (
    request: FastifyRequest,
    reply: FastifyReply,
    id: JsonRpcId | null,
    err: AirlockError,
    requestId?: string,
    data?: Record<string, unknown>,
    modern = false,
  ) => {
    const stream = streamOf.get(reply);
    if (stream?.started) {
      // Headers are gone: the error is the stream's last event.
      stream.finish(rpcError(id, err, { ...(requestId ? { requestId } : {}), data }));
      return;
    }
    const status = httpStatusFor(err, modern);
    reply.code(status).headers(errorHeaders(err));
    if (status === 401) {
      const bad = err.code !== 'missing_credentials';
      reply.header(
        'www-authenticate',
        bearerChallenge(resourceFor(request), bad ? 'invalid_token' : undefined),
      );
    }
    reply.type('application/json').send(rpcError(id, err, { ...(requestId ? { requestId } : {}), data }));
  };

  /** Host/Origin and query checks shared by every route here. */
  const refused = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (checks.refusedBy(request.headers)) {
      sendError(request, reply, null, new AirlockError('origin_not_allowed'));
      return true;
    }
    if (tokenInQuery(request.url)) {
      sendError(request, reply, null, new AirlockError('token_in_query'));
      return true;
    }
    return false;
  };

  const newContext = (
    request: FastifyRequest,
    reply: FastifyReply,
    state: McpState,
    body: Record<string, unknown>,
  ) => {
    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const ctx: McpContext = {
      ...createRequestContext({
        requestId: deps.requestId(),
        operation: `mcp.${state.method}` as RequestContext['operation'],
        request,
        signal: abort.signal,
        body,
      }),
      mcp: state,
    };
    reply.header('x-request-id', ctx.requestId);
    return ctx;
  };

  const post = async (request: FastifyRequest, reply: FastifyReply) => {
    if (refused(request, reply)) return reply;
    let parsed: unknown;
    try {
      parsed = parseBody(typeof request.body === 'string' ? request.body : '');
    } catch (err) {
      sendError(request, reply, null, err instanceof AirlockError ? err : new AirlockError('invalid_json'));
      return reply;
    }
    const msg = classify(parsed);
    if (msg.kind === 'invalid') {
      sendError(request, reply, msg.id, new AirlockError('invalid_request', { publicDetail: msg.reason }));
      return reply;
    }
    const method = msg.kind === 'response' ? '(response)' : msg.method;
    const params = msg.kind === 'request' || msg.kind === 'notification' ? msg.params : {};
    const version = header(request, 'mcp-protocol-version');
    const rpcId = msg.kind === 'request' ? msg.id : null;
    const era: Era = eraOf(params, version);
    if (era.kind === 'refused') {
      sendError(
        request,
        reply,
        rpcId,
        new AirlockError(era.code, { publicDetail: era.detail }),
        undefined,
        era.code === 'unsupported_protocol_version'
          ? {
              supported: [...SUPPORTED_PROTOCOL_VERSIONS],
              ...(era.requested ? { requested: era.requested } : {}),
            }
          : undefined,
      );
      return reply;
    }
    const isInit = era.kind === 'legacy' && method === 'initialize';
    if (
      era.kind === 'legacy' &&
      !isInit &&
      version !== undefined &&
      (isModernVersion(version) || !SUPPORTED_PROTOCOL_VERSIONS.includes(version))
    ) {
      sendError(request, reply, rpcId, new AirlockError('unsupported_protocol_version'), undefined, {
        supported: [...SUPPORTED_PROTOCOL_VERSIONS],
        requested: version.slice(0, 32),
      });
      return reply;
    }
    const state: McpState = {
      method,
      rpcId,
      modern: era.kind === 'modern',
      sessionId: isInit || era.kind === 'modern' ? undefined : header(request, 'mcp-session-id'),
      protocolVersion:
        era.kind === 'modern'
          ? era.version
          : isInit
            ? typeof params.protocolVersion === 'string'
              ? params.protocolVersion
              : undefined
            : version,
      headerMismatch: headerMismatch(
        { version, method: header(request, 'mcp-method'), name: header(request, 'mcp-name') },
        msg.kind === 'response' ? { kind: 'response' } : { kind: msg.kind, method: msg.method, params },
        era,
      ),
    };
    const ctx = newContext(request, reply, state, params);
    const token = (params._meta as { progressToken?: unknown } | undefined)?.progressToken;
    if (
      method === 'tools/call' &&
      (typeof token === 'string' || typeof token === 'number') &&
      (header(request, 'accept') ?? '').includes('text/event-stream')
    ) {
      const stream = createProgressStream({
        reply,
        requestId: ctx.requestId,
        token,
        sensitive: sensitiveFor(ctx),
      });
      progressStreams.set(ctx, stream);
      streamOf.set(reply, stream);
    }
    if (msg.kind !== 'request') {
      const outcome = await runPipeline(ctx, light, async (_r, commit) => {
        await commit();
        reply.code(202).send();
      });
      if (outcome.error) sendError(request, reply, null, outcome.error, ctx.requestId);
      return reply;
    }
    const outcome = await runPipeline(ctx, pipeline, async (result, commit) => {
      if (result.kind !== 'json') throw new AirlockError('internal_error');
      let body = result.body;
      if (method === 'tools/call') {
        try {
          for (const hook of ctx.chunkHooks) hook(body, ctx);
        } catch (err) {
          ctx.error ??= toAirlockError(err);
          await commit().catch(() => {});
          sendError(request, reply, msg.id, ctx.error, ctx.requestId);
          return;
        }
        body = (state.result ?? body) as ToolResult;
      }
      if (method !== 'initialize') {
        const revision = state.modern
          ? state.protocolVersion!
          : (state.session?.protocolVersion ?? LEGACY_PROTOCOL_VERSIONS[0]);
        body = resultForRevision(method, body, revision, serverInfo);
      }
      // One serialisation: the audited hash covers exactly the result bytes the client receives.
      const resultText = JSON.stringify(body);
      const text = `{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"result":${resultText}}`;
      if (deps.hasher && method === 'tools/call') state.resultHash = deps.hasher.digest(resultText);
      try {
        await commit();
      } catch (err) {
        // Not durable, not acknowledged (P9).
        sendError(request, reply, msg.id, toAirlockError(err), ctx.requestId);
        return;
      }
      if (state.session && method === 'initialize') reply.header('mcp-session-id', state.session.id);
      const stream = streamOf.get(reply);
      if (stream?.started) stream.finish(text);
      else reply.code(200).type('application/json').send(text);
    });
    if (outcome.error)
      sendError(request, reply, msg.id, outcome.error, ctx.requestId, undefined, state.modern);
    return reply;
  };

  const del = async (request: FastifyRequest, reply: FastifyReply) => {
    if (refused(request, reply)) return reply;
    const state: McpState = {
      method: 'notifications/session-end',
      rpcId: null,
      sessionId: header(request, 'mcp-session-id'),
      protocolVersion: undefined,
    };
    const ctx = newContext(request, reply, state, {});
    const outcome = await runPipeline(ctx, light, async (_r, commit) => {
      await commit();
      sessions.delete(state.session!.id, ctx.principal!);
      reply.code(204).send();
    });
    if (outcome.error) sendError(request, reply, null, outcome.error, ctx.requestId);
    return reply;
  };

  const metadata = async (request: FastifyRequest, reply: FastifyReply) => {
    if (checks.refusedBy(request.headers))
      return sendError(request, reply, null, new AirlockError('origin_not_allowed'));
    const resource = resourceFor(request);
    reply.header('cache-control', 'public, max-age=300');
    return protectedResourceMetadata(deps.config, resource);
  };

  app.register(async (scope) => {
    // Raw text in, parsed here: malformed JSON becomes a JSON-RPC parse error, not the /v1 envelope.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: deps.config.maxBodyBytes },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((err, request, reply) => {
      sendError(request, reply, null, edgeError(err as Error));
    });
    scope.post('/mcp', { bodyLimit: deps.config.maxBodyBytes }, post);
    scope.delete('/mcp', del);
    scope.get('/mcp', async (request, reply) => {
      if (refused(request, reply)) return reply;
      reply.header('allow', 'POST, DELETE');
      return sendError(request, reply, null, new AirlockError('method_not_allowed'));
    });
    scope.get(METADATA_PATH, metadata);
    scope.get(`${METADATA_PATH}/mcp`, metadata);
  });
}
