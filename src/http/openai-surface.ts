// The OpenAI-compatible surface (/v1): receive (ids, trace, body schema) then the one pipeline, then
// delivery as JSON or Server-Sent Events. Errors use OpenAI's envelope with our stable codes.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AirlockError, toAirlockError } from '../errors.ts';
import type { RequestTracer } from '../evidence/tracing/request-tracer.ts';
import type { Endpoint, UpstreamResult } from '../inference/types.ts';
import { createRequestContext, type RequestContext } from './context.ts';
import { errorHeaders, openAiErrorBody, publicStatus } from './envelope.ts';
import type { GatewayMetrics } from './metrics.ts';
import {
  chatBodySchema,
  completionBodySchema,
  describeIssue,
  embeddingBodySchema,
} from './openai-schemas.ts';
import { type Pipeline, runPipeline, type Stage } from './pipeline.ts';
import { writeSse } from './sse-writer.ts';
import type { BodyHasher } from './stages/record.ts';
import { startSpan } from './trace-context.ts';

export interface OpenAiSurfaceDeps {
  readonly pipeline: Pipeline;
  /** Runs before a malformed body is reported, so unauthenticated callers learn nothing about it. */
  readonly authenticate: Stage;
  readonly metrics: GatewayMetrics;
  readonly maxMessages: number;
  readonly requestId: () => string;
  readonly hasher?: BodyHasher;
  readonly tracer?: RequestTracer;
}

export function sendOpenAiError(reply: FastifyReply, err: AirlockError, message?: string): void {
  reply.code(publicStatus(err)).headers(errorHeaders(err)).send(openAiErrorBody(err, message));
}

export function registerOpenAiSurface(app: FastifyInstance, deps: OpenAiSurfaceDeps): void {
  const schemas: Record<Endpoint, z.ZodType<Record<string, unknown>>> = {
    chat: chatBodySchema(deps.maxMessages),
    completions: completionBodySchema,
    embeddings: embeddingBodySchema,
  };

  const handle = (operation: Endpoint | 'models') => async (request: FastifyRequest, reply: FastifyReply) => {
    const startedAt = performance.now();
    let body: Record<string, unknown> = {};
    let publicMessage: string | undefined;
    let invalid: AirlockError | undefined;
    if (operation !== 'models') {
      const parsed = schemas[operation].safeParse(request.body);
      if (parsed.success) body = parsed.data;
      else {
        invalid = new AirlockError('invalid_request');
        publicMessage = describeIssue(parsed.error).message;
      }
    }
    const abort = new AbortController();
    // The response stream closing before we finished means the client went away: abort upstream.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const requestId = deps.requestId();
    const ctx = createRequestContext({
      requestId,
      operation,
      request,
      signal: abort.signal,
      body,
      stream: body.stream === true,
      startedAt,
      span: (trace, start) => startSpan(deps.tracer, trace, requestId, operation, start),
    });
    reply.header('x-request-id', ctx.requestId);

    const pipeline: Pipeline = invalid
      ? {
          ...deps.pipeline,
          decide: [
            deps.authenticate,
            {
              name: 'receive',
              run: (c: RequestContext) => {
                c.trail.push({ stage: 'receive', outcome: 'deny', code: 'invalid_request' });
                throw invalid;
              },
            },
          ],
        }
      : deps.pipeline;
    const outcome = await runPipeline(ctx, pipeline, (result, commit) =>
      deliver(ctx, reply, result, commit, deps),
    );
    if (outcome.error) {
      deps.metrics.denials.inc({ code: outcome.error.code });
      sendOpenAiError(reply, outcome.error, outcome.error === invalid ? publicMessage : undefined);
    }
    deps.metrics.observeRequest(ctx, reply.statusCode);
    return reply;
  };

  app.get('/v1/models', handle('models'));
  app.post('/v1/chat/completions', handle('chat'));
  app.post('/v1/completions', handle('completions'));
  app.post('/v1/embeddings', handle('embeddings'));
}

async function deliver(
  ctx: RequestContext,
  reply: FastifyReply,
  result: UpstreamResult,
  commit: () => Promise<void>,
  deps: Pick<OpenAiSurfaceDeps, 'metrics' | 'hasher'>,
): Promise<void> {
  if (result.kind === 'json') {
    try {
      for (const hook of ctx.chunkHooks) hook(result.body, ctx);
    } catch (err) {
      // inspect-out blocked the answer (or a hook failed): record, then refuse; nothing leaks.
      ctx.error ??= toAirlockError(err);
      await commit().catch(() => {});
      sendOpenAiError(reply, ctx.error);
      return;
    }
    const text = JSON.stringify(result.body);
    if (deps.hasher) ctx.responseBodyHash = deps.hasher.digest(text);
    try {
      await commit();
    } catch (err) {
      // The outcome could not be made durable: do not acknowledge the result (P9).
      sendOpenAiError(reply, toAirlockError(err));
      return;
    }
    reply.code(result.status).type('application/json; charset=utf-8').send(text);
    return;
  }
  const clientWantsUsage =
    (ctx.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  await writeSse(reply, ctx, result.chunks, {
    commit,
    onFirstChunk: () => deps.metrics.observeFirstToken(ctx),
    digest: deps.hasher?.stream(),
    keepChunk: (chunk) =>
      clientWantsUsage || !(Array.isArray(chunk.choices) && chunk.choices.length === 0 && chunk.usage),
  });
}
