// record for /mcp: the same two entries as every surface — `request.authorized` before the upstream
// call (its commit overlaps the call, or shares the completion's when the tool server answers within
// PRE_FORWARD_HOLD_MS: local tool servers often answer faster than an fsync) and `request.completed`
// at the end — carrying the method, the namespaced tool, its pin hash and keyed hashes (HMAC-SHA-256,
// the log's body key) of the arguments sent and the result returned. Never the values themselves
// (P5, DESIGN.md §5).
import { AirlockError } from '../errors.ts';
import { canonicalJson } from '../evidence/canonical-json.ts';
import type { RequestContext } from '../http/context.ts';
import type { RecordStage } from '../http/pipeline.ts';
import { type AuditSink, appendRequestEntry, type BodyHasher } from '../http/stages/record.ts';
import { mcpOf } from './stages.ts';

/** With a delegated credential: the RFC 8693 act chain and the task id, so the entry says which
 *  agent acted for whom, in which task (never the token itself). */
function delegationOf(ctx: RequestContext) {
  const id = ctx.principal?.identity;
  if (!id || (id.act === undefined && id.taskId === undefined)) return null;
  return {
    credentialKind: id.credentialKind,
    subjectKind: id.subjectKind,
    act: id.act ?? null,
    taskId: id.taskId ?? null,
  };
}
export function createMcpRecordStage(deps: {
  sink: AuditSink;
  hasher?: BodyHasher;
  /** Methods recorded only when they fail (ping, notifications): no entry per keep-alive. */
  quiet?: ReadonlySet<string>;
}): RecordStage {
  const quietSet = deps.quiet ?? new Set(['ping']);
  const quiet = {
    has: (m: string) => quietSet.has(m) || m.startsWith('notifications/') || m === '(response)',
  };
  const digest = (v: unknown) =>
    deps.hasher && v !== undefined ? deps.hasher.digest(canonicalJson(v) ?? '') : null;
  const common = (ctx: RequestContext) => {
    const m = mcpOf(ctx);
    return {
      surface: 'mcp',
      operation: m.method,
      tool: m.tool?.name ?? null,
      server: m.tool?.server ?? null,
      toolHash: m.tool?.hash ?? null,
      protocolVersion: m.session?.protocolVersion ?? m.protocolVersion ?? null,
      delegation: delegationOf(ctx),
    };
  };
  return {
    name: 'record',
    assertWritable() {
      const h = deps.sink.health();
      if (!h.ok) throw new AirlockError('audit_unavailable', { detail: h.reason });
    },
    beforeForward(ctx) {
      const m = mcpOf(ctx);
      if (quiet.has(m.method)) return Promise.resolve();
      ctx.trailRecorded = ctx.trail.length;
      if (m.method === 'tools/call') m.argumentsHash = digest(m.arguments ?? {}) ?? undefined;
      return appendRequestEntry(deps.sink, ctx, 'request.authorized', {
        ...common(ctx),
        argumentsHash: m.argumentsHash ?? null,
        findings: ctx.findings,
        trail: ctx.trail,
      });
    },
    async complete(ctx) {
      const m = mcpOf(ctx);
      const err = ctx.error;
      if (!err && quiet.has(m.method)) return;
      await appendRequestEntry(deps.sink, ctx, 'request.completed', {
        ...common(ctx),
        argumentsHash:
          m.argumentsHash ?? (m.method === 'tools/call' && m.arguments ? digest(m.arguments) : null),
        resultHash: m.resultHash ?? null,
        isError: m.result ? m.result.isError === true : null,
        shown: m.listed ? m.listed.length : null,
        findings: ctx.findings.filter((f) => ctx.trailRecorded === undefined || f.direction === 'output'),
        durationMs: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
        clientAborted: ctx.signal.aborted,
        trail: ctx.trail.slice(ctx.trailRecorded ?? 0),
      });
    },
  };
}
