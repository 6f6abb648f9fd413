import type { Finding } from '../dlp/types.ts';
import { AirlockError } from '../errors.ts';
import type { ForwardStage, Stage } from '../http/pipeline.ts';
import {
  actOnInbound,
  createRequestDlp,
  dlpBlockedError,
  type InspectDeps,
  type RequestDlp,
  recordFindings,
} from '../http/stages/request-dlp.ts';
import type { UpstreamResult } from '../inference/types.ts';
import { apiCallOf, rawApiRequestOf, setApiCall } from './call.ts';
import { inspectJson } from './inspect.ts';
import type { ApiRequestParts } from './openapi.ts';
import { argumentsOf, parseHttpRequest, upstreamPath } from './request.ts';

/** A parameter path as it may appear in an audit entry (client-chosen names are not echoed). */
export function safeParameter(parameter: string): string {
  return /^[A-Za-z0-9_.\-[\]]{1,128}$/.test(parameter) ? parameter : `${parameter.split('.')[0]}.*`;
}

/** resolve: the service and operation by method and path template, then every parameter and the
 *  body validated. Unknown service, path or method → api_operation_not_found; invalid → 400 with
 *  the parameter named. */
export function createApiResolveStage(): Stage {
  return {
    name: 'resolve',
    run(ctx) {
      const raw = rawApiRequestOf(ctx);
      const service = raw?.service;
      const match = raw?.match;
      if (!raw || !service || !match) {
        ctx.trail.push({
          stage: 'resolve',
          outcome: 'deny',
          code: 'api_operation_not_found',
          detail: { service: service?.name ?? null },
        });
        throw new AirlockError('api_operation_not_found');
      }
      const op = match.operation;
      const where = {
        service: service.name,
        operationId: op.operationId,
        method: op.method,
        path: op.pathTemplate,
      };
      const parsed = parseHttpRequest(op, {
        rawPath: match.rawPath,
        query: raw.query,
        headers: ctx.headers,
        body: raw.body,
        hasBody: raw.hasBody,
      });
      if (!parsed.ok) {
        const parameter = safeParameter(parsed.problem.parameter);
        ctx.trail.push({
          stage: 'resolve',
          outcome: 'deny',
          code: 'invalid_request',
          detail: { ...where, parameter },
        });
        throw new AirlockError('invalid_request', {
          publicDetail: `${parameter} ${parsed.problem.message}.`,
          detail: `${parameter} ${parsed.problem.message}`,
        });
      }
      setApiCall(ctx, {
        service,
        operation: op,
        parts: parsed.parts,
        arguments: argumentsOf(op, parsed.parts),
      });
      ctx.body = partsBody(parsed.parts);
      ctx.trail.push({ stage: 'resolve', outcome: 'allow', detail: where });
    },
  };
}

/** The request as the audit entry hashes it. */
function partsBody(parts: ApiRequestParts): Record<string, unknown> {
  return {
    path: parts.path,
    query: parts.query,
    headers: parts.headers,
    ...(parts.body === undefined ? {} : { body: parts.body }),
  };
}

export type ApiInspectDeps = InspectDeps;

function summary(findings: readonly Finding[]) {
  return { findings: findings.length, types: [...new Set(findings.map((f) => f.type))].sort() };
}

export type ApiRequestDlp = RequestDlp<ApiRequestParts>;

/** The /api surface's DLP: the route is `/api/<service><path template>` (what resolve matched, never
 *  the client's spelling of the path); inbound text is every path, query, header and body value. */
export function createApiRequestDlp(deps: ApiInspectDeps): ApiRequestDlp {
  return createRequestDlp(deps, {
    route(ctx) {
      const call = apiCallOf(ctx);
      return call ? `/api/${call.service.name}${call.operation.pathTemplate}` : '/api';
    },
    scanInbound(ctx, engine, actions) {
      const call = apiCallOf(ctx);
      if (!call) return undefined;
      const r = inspectJson(engine, call.parts, 'request', 'input', actions);
      return {
        findings: r.findings,
        blocking: r.blocking,
        value: r.value as ApiRequestParts,
        changed: r.value !== call.parts,
      };
    },
  });
}

/** inspect-in: every string in path, query, header parameters and body. A credential is blocked by
 *  default; redactions rewrite what is forwarded. A crashed inspector blocks (fail closed). */
export function createApiInspectInStage(dlp: ApiRequestDlp): Stage {
  return {
    name: 'inspect-in',
    run(ctx) {
      actOnInbound(ctx, dlp, (parts) => {
        const call = apiCallOf(ctx)!;
        call.parts = parts;
        call.arguments = argumentsOf(call.operation, call.parts);
      });
    },
  };
}

/** The forward stage's result body: the parsed JSON response (`value`) or the text of a text/*
 *  response (`text`), and the response headers a client may see — all inspected before sending. */
export interface ApiResultBody {
  [key: string]: unknown;
  value?: unknown;
  text?: string;
  contentType: string;
  headers: Record<string, string>;
}

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

/** forward: to the service, path and query rebuilt from the template and the validated parts. */
export function createApiForwardStage(): ForwardStage {
  return {
    name: 'forward',
    async run(ctx): Promise<UpstreamResult> {
      const call = apiCallOf(ctx);
      if (!call) throw new AirlockError('internal_error', { detail: 'api forward without a resolved call' });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.parts.headers))
        headers[k] = Array.isArray(v)
          ? v.map(String).join(',')
          : typeof v === 'string'
            ? v
            : JSON.stringify(v);
      const t0 = performance.now();
      const res = await call.service.upstream.call({
        method: call.operation.method,
        path: upstreamPath(call.operation, call.parts),
        headers,
        body: call.parts.body,
        requestId: ctx.requestId,
        traceparent: `00-${ctx.trace.traceId}-${ctx.trace.spanId}-${ctx.trace.sampled ? '01' : '00'}`,
        signal: ctx.signal,
      });
      ctx.upstreamStatus = res.status;
      const body: ApiResultBody = { contentType: res.contentType, headers: { ...res.headers } };
      if (res.text === '') {
        // No content: nothing to inspect.
      } else if (JSON_TYPE.test(res.contentType)) {
        try {
          body.value = JSON.parse(res.text) as unknown;
        } catch (err) {
          throw new AirlockError('upstream_error', {
            cause: err,
            detail: `api:${call.service.name}: response is not valid JSON`,
          });
        }
      } else if (/^text\//i.test(res.contentType)) body.text = res.text;
      // Fail closed: what DLP cannot read does not leave (binary, multipart, unknown types).
      else
        throw new AirlockError('upstream_error', {
          detail: `api:${call.service.name}: response content type "${res.contentType.split(';')[0]}" cannot be inspected`,
        });
      ctx.trail.push({
        stage: 'forward',
        outcome: 'allow',
        detail: {
          upstream: `api:${call.service.name}`,
          status: res.status,
          ms: Math.round((performance.now() - t0) * 1000) / 1000,
        },
      });
      return { kind: 'json', status: res.status, body };
    },
  };
}

/** inspect-out: registers the hook that inspects the response (JSON values and text) before it is
 *  sent; secrets are redacted by default, a block refuses the whole response. */
export function createApiInspectOutStage(dlp: ApiRequestDlp): Stage {
  return {
    name: 'inspect-out',
    run(ctx) {
      const actions = dlp.actionsFor(ctx).layers;
      const engine = dlp.engineFor(ctx);
      ctx.chunkHooks.push((chunk) => {
        const body = chunk as ApiResultBody;
        const value = { headers: body.headers, body: body.text ?? body.value };
        const out = inspectJson(engine, value, 'response', 'output', actions);
        if (out.findings.length > 0) recordFindings(ctx, 'output', out.findings, actions);
        if (out.blocking.length > 0) {
          ctx.trail.push({
            stage: 'inspect-out',
            outcome: 'deny',
            code: 'dlp_blocked',
            detail: summary(out.findings),
          });
          throw dlpBlockedError(out.blocking);
        }
        if (out.value !== value) {
          const redacted = out.value as typeof value;
          body.headers = redacted.headers;
          if (body.text !== undefined) body.text = redacted.body as string;
          else body.value = redacted.body;
        }
        ctx.trail.push({
          stage: 'inspect-out',
          outcome: 'allow',
          detail: { ...summary(out.findings), action: out.value !== value ? 'redact' : 'pass' },
        });
      });
    },
  };
}
