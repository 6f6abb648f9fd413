// record: every request ends as audit entries — one enqueued before forwarding (its commit overlaps
// the upstream call, or shares the completion's commit when the upstream is fast: see
// PRE_FORWARD_HOLD_MS) and one at the end carrying the outcome and usage. Entries hold decisions,
// ids, counts and keyed hashes of the bodies (HMAC-SHA-256 with the log's body key); never prompts,
// completions or credentials.
import { createHmac, createSecretKey, type Hmac } from 'node:crypto';
import { AirlockError } from '../../errors.ts';
import type { AuditEvent, AuditLog, JsonObject } from '../../evidence/types.ts';
import type { RequestContext } from '../context.ts';
import type { RecordStage } from '../pipeline.ts';

/** Where entries go: the evidence plane's log (or a stand-in in tests). `append` resolves when durable. */
export type AuditSink = Pick<AuditLog, 'append' | 'health'>;
export type { AuditEvent };

/**
 * How long the pre-forward entry waits for company before it commits alone. Nobody awaits that entry
 * before forwarding; the response's final bytes await it together with the completion entry. When the
 * upstream answers within the hold (a cache, a mock, a small model: well under an fsync), the
 * completion's append ends the hold and both entries share ONE group commit, so the client waits for
 * one fsync instead of two serial ones. A slow upstream (a model generating for seconds) gets its
 * pre-forward entry durable holdMs after forwarding, overlapped with the call as before. 2 ms is a few
 * times this gateway's own work between the two appends and above a p99 fdatasync (~0.35-0.9 ms), yet
 * short next to any real model call.
 *
 * Crash window: the pre-forward entry was never awaited before forwarding, so a crash right after
 * forwarding could already lose it for up to one commit (an fsync); the hold widens that window by
 * at most PRE_FORWARD_HOLD_MS. It never lets a response's final bytes go out before both entries
 * are durable (P9): the surface awaits both before its last write.
 */
export const PRE_FORWARD_HOLD_MS = 2;

/** Keyed digests of request and response bodies, so an auditor holding a body can prove it matches. */
export interface BodyHasher {
  digest(data: string): string;
  /** Incremental digest for streamed responses. */
  stream(): Pick<Hmac, 'update' | 'digest'>;
}

export function createBodyHasher(rawKey: Uint8Array): BodyHasher {
  const key = createSecretKey(rawKey);
  return {
    digest: (data) => createHmac('sha256', key).update(data).digest('hex'),
    stream: () => createHmac('sha256', key),
  };
}

/** Audit details are JSON only: drops undefined and anything else JSON cannot carry. */
export function toJsonObject(value: object): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

function principalOf(ctx: RequestContext) {
  const p = ctx.principal;
  return p ? { kind: p.kind, id: p.id, credentialId: p.credentialId } : undefined;
}

/** Appends one of a request's two entries with the members every surface shares (/v1, /api, /mcp):
 *  `request.authorized` before forwarding (allow, held for company), or `request.completed` with the
 *  outcome of `ctx.error`. A failed append surfaces as audit_unavailable (fail closed). The detail goes
 *  to the entry encoder without a JSON round trip: the encoder (evidence/canonical-json.ts) drops
 *  undefined members as JSON.stringify does and throws on what JSON cannot carry (NaN, BigInt), which
 *  rejects the append instead of silently writing null. */
export function appendRequestEntry(
  sink: AuditSink,
  ctx: RequestContext,
  type: 'request.authorized' | 'request.completed',
  detail: object,
): Promise<void> {
  const err = type === 'request.completed' ? ctx.error : undefined;
  return sink
    .append(
      {
        type,
        requestId: ctx.requestId,
        traceId: ctx.trace.traceId,
        principal: principalOf(ctx),
        outcome: err ? (err.status < 500 ? 'deny' : 'error') : 'allow',
        ...(err ? { code: err.code } : {}),
        detail: detail as JsonObject,
      },
      type === 'request.authorized' ? { holdMs: PRE_FORWARD_HOLD_MS } : undefined,
    )
    .then(
      () => undefined,
      (e: unknown) => {
        throw e instanceof AirlockError ? e : new AirlockError('audit_unavailable', { cause: e });
      },
    );
}

export function createRecordStage(deps: {
  sink: AuditSink;
  surface: string;
  hasher?: BodyHasher;
  settle?: (ctx: RequestContext) => Promise<void>;
}): RecordStage {
  return {
    name: 'record',
    assertWritable() {
      const h = deps.sink.health();
      if (!h.ok) throw new AirlockError('audit_unavailable', { detail: h.reason });
    },
    beforeForward(ctx) {
      ctx.trailRecorded = ctx.trail.length;
      return appendRequestEntry(deps.sink, ctx, 'request.authorized', {
        surface: deps.surface,
        operation: ctx.operation,
        model: ctx.model?.alias ?? null,
        stream: ctx.stream,
        findings: ctx.findings,
        requestBodyHash:
          deps.hasher && ctx.operation !== 'models' ? deps.hasher.digest(JSON.stringify(ctx.body)) : null,
        trail: ctx.trail,
      });
    },
    async complete(ctx) {
      if (deps.settle && ctx.principal) await deps.settle(ctx).catch(() => {});
      await appendRequestEntry(deps.sink, ctx, 'request.completed', {
        surface: deps.surface,
        operation: ctx.operation,
        model: ctx.model?.alias ?? null,
        upstream: ctx.target?.upstream ?? null,
        upstreamStatus: ctx.upstreamStatus ?? null,
        stream: ctx.stream,
        responseBodyHash: ctx.responseBodyHash ?? null,
        // A request denied before forwarding has no pre-forward entry: it carries its input findings too.
        findings:
          ctx.trailRecorded === undefined
            ? ctx.findings
            : ctx.findings.filter((f) => f.direction === 'output'),
        usage: { promptTokens: ctx.usage.promptTokens, completionTokens: ctx.usage.completionTokens },
        durationMs: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
        clientAborted: ctx.signal.aborted,
        // Decisions after the pre-forward entry; a denial before forwarding carries them all.
        trail: ctx.trail.slice(ctx.trailRecorded ?? 0),
      });
    },
  };
}
