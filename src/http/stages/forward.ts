// forward: hand the request to the router, which picks a healthy target, injects the upstream's
// credential at the last hop and fails over. `models` is answered from the gateway's own catalogue.
import type { ResolvedModel, Router, UpstreamResult } from '../../inference/types.ts';
import { isModelEndpoint, type RequestContext } from '../context.ts';
import type { ForwardStage } from '../pipeline.ts';

export interface ModelCatalogue {
  list(): readonly ResolvedModel[];
}

/** The catalogue entries the caller may see (P4); the gateway passes the policy decision point's filter. */
export type VisibleModels = (
  ctx: RequestContext,
  models: readonly ResolvedModel[],
) => readonly ResolvedModel[];

export function modelListFor(
  ctx: RequestContext,
  catalogue: ModelCatalogue,
  created: number,
  visible: VisibleModels,
): Record<string, unknown> {
  return {
    object: 'list',
    data: visible(ctx, catalogue.list()).map((m) => ({
      id: m.alias,
      object: 'model',
      created,
      owned_by: 'airlock',
    })),
  };
}

export function createForwardStage(deps: {
  router: Router;
  catalogue: ModelCatalogue;
  startedAt: number;
  visible: VisibleModels;
}): ForwardStage {
  const created = Math.floor(deps.startedAt / 1000);
  return {
    name: 'forward',
    async run(ctx): Promise<UpstreamResult> {
      const endpoint = ctx.operation;
      if (!isModelEndpoint(endpoint))
        return { kind: 'json', status: 200, body: modelListFor(ctx, deps.catalogue, created, deps.visible) };
      const model = ctx.model!;
      let body = ctx.body;
      if (ctx.stream && endpoint !== 'embeddings') {
        // Ask for the upstream's own usage report so tokens are counted exactly, not estimated.
        const options = (body.stream_options as Record<string, unknown> | undefined) ?? {};
        body = { ...body, stream_options: { ...options, include_usage: true } };
      }
      const t0 = performance.now();
      const { result, target } = await deps.router.forward(model, {
        endpoint,
        body,
        stream: ctx.stream,
        signal: ctx.signal,
        headers: {
          'x-request-id': ctx.requestId,
          traceparent: `00-${ctx.trace.traceId}-${ctx.trace.spanId}-${ctx.trace.sampled ? '01' : '00'}`,
        },
      });
      ctx.target = target;
      // Clients see the alias they asked for, not the upstream's internal model name.
      ctx.chunkHooks.push((chunk) => {
        if (typeof chunk.model === 'string') chunk.model = model.alias;
      });
      ctx.upstreamStatus = result.status;
      ctx.trail.push({
        stage: 'forward',
        outcome: 'allow',
        detail: { upstream: target.upstream, headersMs: Math.round((performance.now() - t0) * 1000) / 1000 },
      });
      return result;
    },
  };
}
