// Runs one admin operation through the pipeline: authenticate (admin credentials) → authorize
// (the policy decision point, admin actions) → the operation in place of an upstream → record.
// Every admin resource (keys, audit, approvals, changes) registers its routes with this runner.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestTracer } from '../evidence/tracing/request-tracer.ts';
import { createRequestContext, type RequestContext } from './context.ts';
import { adminErrorBody, errorHeaders } from './envelope.ts';
import { type Pipeline, runPipeline, type Stage } from './pipeline.ts';
import { startSpan } from './trace-context.ts';

export type AdminOperation = (
  ctx: RequestContext,
  request: FastifyRequest,
) => Promise<{ status: number; body: Record<string, unknown> }>;

export interface AdminRouteDeps {
  readonly decide: readonly Stage[];
  readonly record: Pipeline['record'];
  readonly requestId: () => string;
  readonly tracer?: RequestTracer;
}

export type AdminRoute = (
  name: `admin.${string}`,
  op: AdminOperation,
) => (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

export function createAdminRoute(deps: AdminRouteDeps): AdminRoute {
  return (name, op) => async (request, reply) => {
    const abort = new AbortController();
    const requestId = deps.requestId();
    const ctx = createRequestContext({
      requestId,
      operation: name,
      request,
      signal: abort.signal,
      span: (trace, start) => startSpan(deps.tracer, trace, requestId, name, start),
    });
    reply.header('x-request-id', ctx.requestId);
    const pipeline: Pipeline = {
      decide: deps.decide,
      record: deps.record,
      forward: {
        name: 'forward',
        async run(c) {
          const { status, body } = await op(c, request);
          c.trail.push({ stage: 'forward', outcome: 'allow', detail: { admin: name } });
          return { kind: 'json', status, body };
        },
      },
    };
    const outcome = await runPipeline(ctx, pipeline, async (result, commit) => {
      await commit();
      if (result.kind === 'json') reply.code(result.status).send(result.body);
    });
    if (outcome.error)
      reply
        .code(outcome.error.status)
        .headers(errorHeaders(outcome.error))
        .send(adminErrorBody(outcome.error, ctx.requestId));
    return reply;
  };
}
