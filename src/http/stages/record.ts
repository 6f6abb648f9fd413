// record: every request ends as audit entries — one enqueued before forwarding (its commit overlaps
// the upstream call) and one at the end carrying the outcome and usage. Entries hold decisions,
// ids and counts; never prompts, completions or credentials.
import { AirlockError } from '../../errors.ts';
import type { RequestContext } from '../context.ts';
import type { RecordStage } from '../pipeline.ts';

export interface AuditEventInput {
  readonly type: string;
  readonly requestId?: string;
  readonly traceId?: string;
  readonly principal?: { readonly kind: string; readonly id: string; readonly credentialId: string };
  readonly outcome: 'allow' | 'deny' | 'error' | 'info';
  readonly code?: string;
  readonly detail: Record<string, unknown>;
}

/** Where entries go. `append` resolves when the entry is durable. */
export interface AuditSink {
  append(event: AuditEventInput): Promise<unknown>;
  health(): { ok: boolean; reason?: string };
}

function principalOf(ctx: RequestContext) {
  const p = ctx.principal;
  return p ? { kind: p.kind, id: p.id, credentialId: p.credentialId } : undefined;
}

export function createRecordStage(deps: {
  sink: AuditSink;
  surface: string;
  settle?: (ctx: RequestContext) => Promise<void>;
}): RecordStage {
  const wrap = (p: Promise<unknown>): Promise<void> =>
    p.then(
      () => undefined,
      (err: unknown) => {
        throw err instanceof AirlockError ? err : new AirlockError('audit_unavailable', { cause: err });
      },
    );
  return {
    name: 'record',
    assertWritable() {
      const h = deps.sink.health();
      if (!h.ok) throw new AirlockError('audit_unavailable', { detail: h.reason });
    },
    beforeForward(ctx) {
      return wrap(
        deps.sink.append({
          type: 'request.authorized',
          requestId: ctx.requestId,
          traceId: ctx.trace.traceId,
          principal: principalOf(ctx),
          outcome: 'allow',
          detail: {
            surface: deps.surface,
            operation: ctx.operation,
            model: ctx.model?.alias ?? null,
            stream: ctx.stream,
            trail: ctx.trail.slice(),
          },
        }),
      );
    },
    async complete(ctx) {
      if (deps.settle && ctx.principal) await deps.settle(ctx).catch(() => {});
      const err = ctx.error;
      await wrap(
        deps.sink.append({
          type: 'request.completed',
          requestId: ctx.requestId,
          traceId: ctx.trace.traceId,
          principal: principalOf(ctx),
          outcome: err ? (err.status < 500 ? 'deny' : 'error') : 'allow',
          ...(err ? { code: err.code } : {}),
          detail: {
            surface: deps.surface,
            operation: ctx.operation,
            model: ctx.model?.alias ?? null,
            upstream: ctx.target?.upstream ?? null,
            upstreamStatus: ctx.upstreamStatus ?? null,
            stream: ctx.stream,
            usage: { promptTokens: ctx.usage.promptTokens, completionTokens: ctx.usage.completionTokens },
            durationMs: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
            clientAborted: ctx.signal.aborted,
            trail: ctx.trail.slice(),
          },
        }),
      );
    },
  };
}
