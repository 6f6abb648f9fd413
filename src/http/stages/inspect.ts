// inspect-in and inspect-out: DLP on what goes to the model and on what comes back (streamed too).
// Findings travel as type, rule, field and action — never the value — into the audit entry (and,
// with the policy engine, into the decision context). A crashed inspector blocks (fail closed).
import { decide } from '../../dlp/actions.ts';
import type { ActionPolicy } from '../../dlp/config.ts';
import type { DlpEngine } from '../../dlp/engine.ts';
import { createStreamInspector, inspectResponseBody } from '../../dlp/inspect-response.ts';
import type { Direction, Finding } from '../../dlp/types.ts';
import { inspectOpenAiBody } from '../../dlp/walk-openai.ts';
import { AirlockError } from '../../errors.ts';
import type { RequestContext } from '../context.ts';
import type { Stage } from '../pipeline.ts';

/** Streaming trade-off: the scanner never releases part of an unbroken token, so long secrets are
 *  caught whatever the holdback; the holdback only bounds secrets with separators inside. A small
 *  window keeps time to first visible token close to the upstream's. */
const STREAM_HOLDBACK = 32;
const STREAM_MIN_RELEASE = 4;

export interface InspectDeps {
  readonly engine: DlpEngine;
  readonly actions?: ActionPolicy;
}

/** Findings onto the request (type, rule, field, action — never the value), for audit and policy.
 *  Every surface's inspect stages use this and dlpBlockedError. */
export function recordFindings(
  ctx: RequestContext,
  direction: Direction,
  findings: readonly Finding[],
  actions?: ActionPolicy,
): void {
  for (const f of findings) {
    const verdict = decide([f], direction, actions);
    ctx.findings.push({
      direction,
      type: f.type,
      ruleId: f.ruleId,
      field: f.field,
      action: verdict.kind === 'pass' ? 'alert' : verdict.kind,
    });
  }
}

export function dlpBlockedError(findings: readonly Finding[]): AirlockError {
  const types = [...new Set(findings.map((f) => f.type))].sort();
  return new AirlockError('dlp_blocked', { publicDetail: `Finding types: ${types.join(', ')}.` });
}

export function createInspectInStage(deps: InspectDeps): Stage {
  return {
    name: 'inspect-in',
    run(ctx) {
      if (ctx.operation === 'models') return;
      let result: ReturnType<typeof inspectOpenAiBody>;
      try {
        result = inspectOpenAiBody(deps.engine, ctx.body, 'input', deps.actions);
      } catch (err) {
        ctx.trail.push({
          stage: 'inspect-in',
          outcome: 'error',
          code: 'dlp_blocked',
          detail: { reason: 'inspector failed' },
        });
        throw new AirlockError('dlp_blocked', {
          cause: err,
          detail: 'inspector failed; blocked (fail closed)',
        });
      }
      recordFindings(ctx, 'input', result.findings, deps.actions);
      const summary = {
        findings: result.findings.length,
        types: [...new Set(result.findings.map((f) => f.type))].sort(),
      };
      if (result.outcome === 'block') {
        ctx.trail.push({ stage: 'inspect-in', outcome: 'deny', code: 'dlp_blocked', detail: summary });
        throw dlpBlockedError(
          result.findings.filter((f) => decide([f], 'input', deps.actions).kind === 'block'),
        );
      }
      if (result.outcome === 'redact') ctx.body = result.body;
      ctx.trail.push({
        stage: 'inspect-in',
        outcome: 'allow',
        detail: { ...summary, action: result.outcome },
      });
    },
  };
}

/** Registers the per-chunk output inspection; it runs before accounting on every chunk. */
export function createInspectOutStage(deps: InspectDeps): Stage {
  return {
    name: 'inspect-out',
    run(ctx) {
      if (ctx.operation === 'models' || ctx.operation === 'embeddings') return;
      const stream = ctx.stream
        ? createStreamInspector(deps.engine, {
            policy: deps.actions,
            holdback: STREAM_HOLDBACK,
            minRelease: STREAM_MIN_RELEASE,
          })
        : undefined;
      ctx.chunkHooks.push((chunk) => {
        const out = stream
          ? stream.inspectChunk(chunk)
          : inspectResponseBody(deps.engine, chunk, deps.actions);
        if (out.findings.length > 0) recordFindings(ctx, 'output', out.findings, deps.actions);
        if (out.blocked) {
          ctx.trail.push({ stage: 'inspect-out', outcome: 'deny', code: 'dlp_blocked' });
          throw dlpBlockedError(out.findings);
        }
      });
    },
  };
}
