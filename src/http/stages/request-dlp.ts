// DLP state of one request, shared by the stages of one surface: the actions resolved once from
// (route, principal, model), and the inbound inspection — scanned once, before the policy decision
// so Cedar can read `context.findings`, then acted on by inspect-in. Both are memoised per request
// context (a WeakMap owned by this instance: nothing outlives the request, no module state).
import type { Actions } from '../../dlp/actions.ts';
import { decide } from '../../dlp/actions.ts';
import type { DlpEngine } from '../../dlp/engine.ts';
import type { DlpSnapshot } from '../../dlp/live-dlp.ts';
import { type ActionResolver, createActionResolver, type ResolvedActions } from '../../dlp/overrides.ts';
import { type FindingsSummary, NO_FINDINGS, summarizeFindings } from '../../dlp/summary.ts';
import type { Direction, Finding } from '../../dlp/types.ts';
import { AirlockError } from '../../errors.ts';
import type { RequestContext } from '../context.ts';

export interface InspectDeps {
  readonly engine: DlpEngine;
  /** Actions per route, principal and model; defaults to the engine's `dlp.actions` / `dlp.overrides`. */
  readonly actions?: ActionResolver;
  /** The DLP in force when it can change at run time (src/dlp/live-dlp.ts): read once per request,
   *  so a request finishes with the engine and actions it started with. */
  readonly current?: () => DlpSnapshot;
}

/** What inbound inspection found and the value to forward (redacted when `changed`). */
export interface InboundScan<T = unknown> {
  readonly findings: readonly Finding[];
  /** Findings whose action is block (the request must not be forwarded). */
  readonly blocking: readonly Finding[];
  readonly value: T;
  readonly changed: boolean;
}

export interface SurfaceDlp<T> {
  /** The route overrides match on (`/v1/chat/completions`, `/mcp`, `/api/<service><template>`). */
  route(ctx: RequestContext): string;
  /** Scans what the request sends to the model, tool or service; undefined when nothing is sent. */
  scanInbound(ctx: RequestContext, engine: DlpEngine, actions: Actions): InboundScan<T> | undefined;
}

export interface RequestDlp<T = unknown> {
  /** The engine in force now (for callers without a request). */
  readonly engine: DlpEngine;
  /** The engine this request started with (pinned with its actions on first use). */
  engineFor(ctx: RequestContext): DlpEngine;
  /** Resolved once per request (route, principal, model → the matching override). */
  actionsFor(ctx: RequestContext): ResolvedActions;
  /** Scanned once per request; findings go onto ctx.findings the first time. A crashed inspector
   *  throws dlp_blocked every time it is asked (fail closed). */
  inbound(ctx: RequestContext): InboundScan<T> | undefined;
  /** The decision context's `findings` (the inbound summary). */
  summary(ctx: RequestContext): FindingsSummary;
}

/** Findings onto the request (type, rule, field, action — never the value), for audit and policy. */
export function recordFindings(
  ctx: RequestContext,
  direction: Direction,
  findings: readonly Finding[],
  actions?: Actions,
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

/** A block names the finding types, never a value (nor where it sat). */
export function dlpBlockedError(findings: readonly Finding[]): AirlockError {
  const types = [...new Set(findings.map((f) => f.type))].sort();
  return new AirlockError('dlp_blocked', { publicDetail: `Finding types: ${types.join(', ')}.` });
}

type Memo<T> = { scan: InboundScan<T> | undefined } | { failed: AirlockError };

export function createRequestDlp<T>(deps: InspectDeps, surface: SurfaceDlp<T>): RequestDlp<T> {
  const fixed: DlpSnapshot | undefined = deps.current
    ? undefined
    : { engine: deps.engine, actions: deps.actions ?? createActionResolver(deps.engine.config) };
  // One entry per request: the snapshot it started with and its resolved actions.
  const pinned = new WeakMap<RequestContext, { engine: DlpEngine; resolved: ResolvedActions }>();
  const pin = (ctx: RequestContext) => {
    let p = pinned.get(ctx);
    if (p === undefined) {
      const snap = fixed ?? deps.current!();
      p = {
        engine: snap.engine,
        resolved: snap.actions.resolve({
          route: surface.route(ctx),
          ...(ctx.principal ? { principal: ctx.principal } : {}),
          ...(ctx.model ? { model: ctx.model.alias } : {}),
        }),
      };
      pinned.set(ctx, p);
    }
    return p;
  };
  const scans = new WeakMap<RequestContext, Memo<T>>();
  const actionsFor = (ctx: RequestContext): ResolvedActions => pin(ctx).resolved;
  const inbound = (ctx: RequestContext): InboundScan<T> | undefined => {
    let memo = scans.get(ctx);
    if (memo === undefined) {
      const { engine, resolved } = pin(ctx);
      try {
        memo = { scan: surface.scanInbound(ctx, engine, resolved.layers) };
      } catch (err) {
        // A refusal the walker raised itself (input nested too deeply) keeps its code; anything
        // else is a crashed inspector: blocked.
        const failed =
          err instanceof AirlockError
            ? err
            : new AirlockError('dlp_blocked', {
                cause: err,
                detail: 'inspector failed; blocked (fail closed)',
              });
        memo = { failed };
        ctx.trail.push({
          stage: 'inspect-in',
          outcome: 'error',
          code: failed.code,
          detail: { reason: failed === err ? failed.code : 'inspector failed' },
        });
      }
      scans.set(ctx, memo);
      if ('scan' in memo && memo.scan) recordFindings(ctx, 'input', memo.scan.findings, resolved.layers);
    }
    if ('failed' in memo) throw memo.failed;
    return memo.scan;
  };
  return {
    get engine() {
      return fixed?.engine ?? deps.current!().engine;
    },
    engineFor: (ctx) => pin(ctx).engine,
    actionsFor,
    inbound,
    summary(ctx) {
      const scan = inbound(ctx);
      return scan ? summarizeFindings(scan.findings) : NO_FINDINGS;
    },
  };
}

/** inspect-in's common part: refuse on a block (types only), else hand over what to forward. */
export function actOnInbound<T>(ctx: RequestContext, dlp: RequestDlp<T>, apply: (value: T) => void): void {
  const scan = dlp.inbound(ctx);
  if (!scan) return;
  const override = dlp.actionsFor(ctx).override;
  const detail = {
    findings: scan.findings.length,
    types: [...new Set(scan.findings.map((f) => f.type))].sort(),
    ...(override !== undefined ? { override } : {}),
  };
  if (scan.blocking.length > 0) {
    ctx.trail.push({ stage: 'inspect-in', outcome: 'deny', code: 'dlp_blocked', detail });
    throw dlpBlockedError(scan.blocking);
  }
  if (scan.changed) apply(scan.value);
  ctx.trail.push({
    stage: 'inspect-in',
    outcome: 'allow',
    detail: { ...detail, action: scan.changed ? 'redact' : 'pass' },
  });
}
