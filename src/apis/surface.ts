// The /api surface: /api/<service>/<path> for internal REST services, through the one pipeline —
// authenticate → resolve (operation) → authorize (api/call) → quota → inspect-in → forward →
// inspect-out → record. Errors use one envelope, documented in docs/errors.md:
//   {"error": {"code": "<stable code>", "message": "<safe message>", "requestId": "req_…"}}
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FindingsSummary } from '../dlp/summary.ts';
import { type AirlockError, errorCatalogue, toAirlockError } from '../errors.ts';
import { createRequestContext, type RequestContext } from '../http/context.ts';
import { errorHeaders } from '../http/envelope.ts';
import { type Pipeline, type RecordStage, runPipeline, type Stage } from '../http/pipeline.ts';
import type { BodyHasher } from '../http/stages/record.ts';
import type { UpstreamResult } from '../inference/types.ts';
import { credentialContext, principalEntity } from '../policy/entities.ts';
import type { DecisionPoint } from '../policy/types.ts';
import { apiOperationEntity } from './authorize.ts';
import { apiOperationName, setRawApiRequest } from './call.ts';
import type { ApiServices } from './service.ts';
import {
  type ApiInspectDeps,
  type ApiResultBody,
  createApiForwardStage,
  createApiInspectInStage,
  createApiInspectOutStage,
  createApiRequestDlp,
  createApiResolveStage,
} from './stages.ts';

export interface ApiSurfaceDeps {
  readonly services: ApiServices;
  /** The gateway's client authenticate stage (same authenticators as /v1 and /mcp). */
  readonly authenticate: Stage;
  /** Builds the policy authorize stage for `api/call` (createApiAuthorizeStage) around the DLP
   *  findings summary of the request, which the decision context carries. */
  readonly authorize: (findings: (ctx: RequestContext) => FindingsSummary) => Stage;
  /** Optional request-rate / concurrency stage (the gateway's quota stage). */
  readonly quota?: Stage;
  readonly dlp: ApiInspectDeps;
  /** The record stage (createRecordStage with surface 'api'). */
  readonly record: RecordStage;
  readonly requestId: () => string;
  readonly hasher?: BodyHasher;
  /** When set, GET /api lists the operations the caller may call (P4: discovery respects policy). */
  readonly pdp?: DecisionPoint;
}

export const API_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function apiErrorBody(err: AirlockError, requestId: string): Record<string, unknown> {
  const spec = errorCatalogue[err.code];
  const message = err.publicDetail ? `${spec.message} ${err.publicDetail}` : spec.message;
  return { error: { code: err.code, message, requestId } };
}

function sendApiError(reply: FastifyReply, err: AirlockError, requestId: string): void {
  reply.code(err.status).headers(errorHeaders(err)).send(apiErrorBody(err, requestId));
}

/** Splits `/api/<service>/<rest>?<query>` (raw, still percent-encoded). */
export function splitApiUrl(url: string): { service: string; path: string; query: string } | undefined {
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const m = /^\/api\/([^/]+)(\/.*)?$/.exec(pathname);
  if (!m) return undefined;
  let service: string;
  try {
    service = decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
  return { service, path: m[2] ?? '/', query };
}

export function registerApiSurface(app: FastifyInstance, deps: ApiSurfaceDeps): void {
  // One DLP scan per call: authorize puts its summary in the decision, inspect-in acts on it.
  const dlp = createApiRequestDlp(deps.dlp);
  const pipeline: Pipeline = {
    decide: [
      deps.authenticate,
      createApiResolveStage(),
      deps.authorize(dlp.summary),
      ...(deps.quota ? [deps.quota] : []),
      createApiInspectInStage(dlp),
      createApiInspectOutStage(dlp),
    ],
    forward: createApiForwardStage(),
    record: deps.record,
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const startedAt = performance.now();
    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const split = splitApiUrl(request.raw.url ?? request.url);
    // Matching is pure and cheap; it happens here so the context names the operation from the
    // start. The resolve stage (after authenticate) reports it, so nothing leaks to strangers.
    const service = split ? deps.services.get(split.service) : undefined;
    const match = split && service ? service.api.match(request.method, split.path) : undefined;
    const ctx = createRequestContext({
      requestId: deps.requestId(),
      // `api.<service>.<operationId>` (`api.unknown` when nothing matched).
      operation: (service && match
        ? apiOperationName(service.name, match.operation.operationId)
        : 'api.unknown') as RequestContext['operation'],
      request,
      signal: abort.signal,
      startedAt,
    });
    if (split)
      setRawApiRequest(ctx, {
        service,
        match,
        query: split.query,
        body: request.body,
        hasBody: request.body !== undefined && request.body !== null,
      });
    reply.header('x-request-id', ctx.requestId);
    const outcome = await runPipeline(ctx, pipeline, (result, commit) =>
      deliver(ctx, reply, result, commit, deps),
    );
    if (outcome.error) sendApiError(reply, outcome.error, ctx.requestId);
    return reply;
  };

  if (deps.pdp) registerApiCatalog(app, deps, deps.pdp);
  app.route({ method: [...API_METHODS], url: '/api/:service', handler });
  app.route({ method: [...API_METHODS], url: '/api/:service/*', handler });
}

async function deliver(
  ctx: RequestContext,
  reply: FastifyReply,
  result: UpstreamResult,
  commit: () => Promise<void>,
  deps: Pick<ApiSurfaceDeps, 'hasher'>,
): Promise<void> {
  if (result.kind !== 'json') throw new Error('api: streamed results are not supported');
  const body = result.body as unknown as ApiResultBody;
  try {
    for (const hook of ctx.chunkHooks) hook(body, ctx);
  } catch (err) {
    // inspect-out blocked the answer: record, then refuse; nothing of it leaks.
    ctx.error ??= toAirlockError(err);
    await commit().catch(() => {});
    sendApiError(reply, ctx.error, ctx.requestId);
    return;
  }
  let text = '';
  let type: string | undefined;
  if (body.value !== undefined) {
    text = JSON.stringify(body.value);
    type = 'application/json; charset=utf-8';
  } else if (body.text !== undefined) {
    text = body.text;
    type = body.contentType || 'text/plain; charset=utf-8';
  }
  if (deps.hasher) ctx.responseBodyHash = deps.hasher.digest(text);
  try {
    await commit();
  } catch (err) {
    // Not durable, not acknowledged (P9).
    sendApiError(reply, toAirlockError(err), ctx.requestId);
    return;
  }
  reply.code(result.status);
  reply.headers(body.headers);
  if (type) reply.type(type);
  reply.send(text === '' ? undefined : text);
}

/** GET /api: the operations the caller may call, by the same decision point (P4). Operations whose
 *  permit depends on arguments are listed when a call without arguments would be allowed. */
function registerApiCatalog(app: FastifyInstance, deps: ApiSurfaceDeps, pdp: DecisionPoint): void {
  const operations = deps.services.list().flatMap((s) => s.api.operations);
  const entities = operations.map(apiOperationEntity);
  const byId = new Map(entities.map((e, i) => [e.id, operations[i]!]));
  const pipeline: Pipeline = {
    decide: [deps.authenticate],
    forward: {
      name: 'forward',
      async run(ctx) {
        const principal = ctx.principal!;
        const allowed = pdp.listAllowed(principalEntity(principal), 'api/call', entities, {
          clientAddress: ctx.clientAddress,
          stream: false,
          credential: credentialContext(principal),
        });
        const data = allowed.map((e) => {
          const op = byId.get(e.id)!;
          return {
            service: op.service,
            operationId: op.operationId,
            method: op.method,
            path: `/api/${op.service}${op.pathTemplate}`,
            ...(op.summary ? { summary: op.summary } : {}),
          };
        });
        ctx.trail.push({ stage: 'forward', outcome: 'allow', detail: { listed: data.length } });
        return {
          kind: 'json',
          status: 200,
          body: { value: { object: 'list', data }, contentType: '', headers: {} },
        };
      },
    },
    record: deps.record,
  };
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const abort = new AbortController();
    const ctx = createRequestContext({
      requestId: deps.requestId(),
      operation: 'api.catalog' as RequestContext['operation'],
      request,
      signal: abort.signal,
    });
    reply.header('x-request-id', ctx.requestId);
    const outcome = await runPipeline(ctx, pipeline, (result, commit) =>
      deliver(ctx, reply, result, commit, deps),
    );
    if (outcome.error) sendApiError(reply, outcome.error, ctx.requestId);
    return reply;
  };
  app.get('/api', handler);
  app.get('/api/', handler);
}
