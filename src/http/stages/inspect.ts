// inspect-in and inspect-out on /v1: DLP on what goes to the model and on what comes back (streamed
// too). Actions are resolved once per request from (route, principal, model); the inbound scan is
// memoised so the authorize stage can hand its summary to the policy decision before inspect-in acts
// on it. Findings travel as type, rule, field and action — never the value. A crashed inspector
// blocks (fail closed).
import { resolveAction } from '../../dlp/actions.ts';
import { createStreamInspector, inspectResponseBody } from '../../dlp/inspect-response.ts';
import { inspectOpenAiBody } from '../../dlp/walk-openai.ts';
import type { RequestContext } from '../context.ts';
import type { Stage } from '../pipeline.ts';
import {
  actOnInbound,
  createRequestDlp,
  dlpBlockedError,
  type InspectDeps,
  type RequestDlp,
  recordFindings,
} from './request-dlp.ts';

export { dlpBlockedError, type InspectDeps, recordFindings };

/** Streaming trade-off: the scanner never releases part of an unbroken token, so long secrets are
 *  caught whatever the holdback; the holdback only bounds secrets with separators inside. A small
 *  window keeps time to first visible token close to the upstream's. */
const STREAM_HOLDBACK = 32;
const STREAM_MIN_RELEASE = 4;

const ROUTES: Record<string, string> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
  models: '/v1/models',
};

export type OpenAiRequestDlp = RequestDlp<Record<string, unknown>>;

/** The /v1 surface's DLP: routes from the endpoint, inbound text from the OpenAI body walkers. */
export function createOpenAiRequestDlp(deps: InspectDeps): OpenAiRequestDlp {
  return createRequestDlp(deps, {
    route: (ctx: RequestContext) => ROUTES[ctx.operation] ?? `/v1/${ctx.operation}`,
    scanInbound(ctx, engine, actions) {
      if (ctx.operation === 'models') return undefined;
      const r = inspectOpenAiBody(engine, ctx.body, 'input', actions);
      return {
        findings: r.findings,
        blocking:
          r.outcome === 'block'
            ? r.findings.filter((f) => resolveAction(f, 'input', actions) === 'block')
            : [],
        value: r.body,
        changed: r.outcome === 'redact',
      };
    },
  });
}

export function createInspectInStage(dlp: OpenAiRequestDlp): Stage {
  return {
    name: 'inspect-in',
    run(ctx) {
      actOnInbound(ctx, dlp, (body) => {
        ctx.body = body;
      });
    },
  };
}

/** Registers the per-chunk output inspection; it runs before accounting on every chunk. */
export function createInspectOutStage(dlp: OpenAiRequestDlp): Stage {
  return {
    name: 'inspect-out',
    run(ctx) {
      if (ctx.operation === 'models' || ctx.operation === 'embeddings') return;
      const actions = dlp.actionsFor(ctx).layers;
      const engine = dlp.engineFor(ctx);
      const stream = ctx.stream
        ? createStreamInspector(engine, {
            policy: actions,
            holdback: STREAM_HOLDBACK,
            minRelease: STREAM_MIN_RELEASE,
          })
        : undefined;
      ctx.chunkHooks.push((chunk) => {
        const out = stream ? stream.inspectChunk(chunk) : inspectResponseBody(engine, chunk, actions);
        if (out.findings.length > 0) recordFindings(ctx, 'output', out.findings, actions);
        if (out.blocked) {
          ctx.trail.push({ stage: 'inspect-out', outcome: 'deny', code: 'dlp_blocked' });
          throw dlpBlockedError(out.findings.filter((f) => resolveAction(f, 'output', actions) === 'block'));
        }
      });
    },
  };
}
