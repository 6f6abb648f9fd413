// Human approvals for tools/call (P8) by URL-mode elicitation (MCP 2025-11-25, client/elicitation
// "URL Mode" and URLElicitationRequiredError, JSON-RPC -32042). It wraps the MCP authorize stage:
//
// 1. Before the decision: a granted, unused, unexpired approval bound to exactly this principal,
//    action (tools/call), resource (Tool::<server__tool>) and SHA-256 of the RFC 8785 canonical
//    arguments is looked up — the MCP client retries the identical call after the human approved
//    and names no approval id — and handed to the decision point as context.approval.
// 2. A needs-approval decision files (or reuses) the approval request and refuses the call with a
//    URL where a human approves it: as a -32042 error carrying one `mode: "url"` elicitation when
//    the client declared `capabilities.elicitation.url` on a revision that has it, else as a plain
//    approval_required error with the approval id and URL in `data`.
// 3. An allow with an approval in hand consumes it atomically: the retry succeeds exactly once; a
//    concurrent second use loses the race (approval_invalid). Changed arguments or another
//    principal never match the binding, so they are asked for a new approval.
import { AirlockError } from '../errors.ts';
import type { RequestContext } from '../http/context.ts';
import type { Stage } from '../http/pipeline.ts';
import { type ApprovalService, argumentsHash } from '../policy/approvals/approval-service.ts';
import type { ApprovalBinding, ApprovalRecord } from '../policy/approvals/types.ts';
import { authorizedObligations } from '../policy/authorize-stage.ts';
import type { DecisionContext } from '../policy/types.ts';
import { RPC, type RpcShapedError } from './jsonrpc.ts';
import { META_KEYS } from './revisions.ts';
import { mcpOf } from './stages.ts';
import type { CatalogTool } from './types.ts';

/** The first revision with URL-mode elicitation. Dates compare as strings. */
const URL_ELICITATION_SINCE = '2025-11-25';

export interface McpApprovalsDeps {
  readonly approvals: ApprovalService;
  /** Absolute URL where a human reviews approval `id` (admin console or admin API). */
  readonly approvalUrl: (id: string) => string;
  /** What a tool's decision is about, when not `tools/call` on Tool::<name> (an /api operation is
   *  `api/call` on ApiOperation::<name>): the approver sees the action that was decided. */
  readonly decidedAs?: (tool: CatalogTool) => { action: string; resource: string } | undefined;
}

export interface McpApprovals {
  /** Wraps the MCP authorize stage (keeps its name). */
  wrap(authorize: Stage): Stage;
  /** Decision context for the tool authorizer: the granted approval this call presents. */
  context(ctx: RequestContext): Partial<DecisionContext>;
}

/** Did the client declare URL-mode elicitation on a revision that defines it? 2025 era: in its
 *  initialize capabilities (kept on the session); 2026 era: in this request's `_meta`. */
export function acceptsUrlElicitation(ctx: RequestContext): boolean {
  const m = mcpOf(ctx);
  const meta = ctx.body._meta;
  const version = m.modern ? m.protocolVersion : m.session?.protocolVersion;
  const caps = m.modern
    ? isObject(meta)
      ? meta[META_KEYS.clientCapabilities]
      : undefined
    : m.session?.clientCapabilities;
  if (version === undefined || version < URL_ELICITATION_SINCE || !isObject(caps)) return false;
  const e = caps.elicitation;
  return isObject(e) && isObject(e.url);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** approval_required with the JSON-RPC shape the client can act on (only ids, a URL and a time). */
export class McpApprovalRequiredError extends AirlockError implements RpcShapedError {
  readonly rpc: RpcShapedError['rpc'];
  constructor(rec: ApprovalRecord, url: string, elicit: boolean, tool: string) {
    const message = `A human must approve this call to ${tool} (approval ${rec.id}); open ${url}, then repeat the identical call.`;
    super('approval_required', {
      detail: `approval ${rec.id} pending`,
      publicDetail: `Approval ${rec.id} is pending; see ${url}. Once approved, repeat the identical call.`,
    });
    const data = { approvalId: rec.id, url, expiresAt: new Date(rec.expiresAt).toISOString() };
    this.rpc = elicit
      ? {
          code: RPC.urlElicitationRequired,
          data: { ...data, elicitations: [{ mode: 'url', elicitationId: rec.id, url, message }] },
        }
      : { code: RPC.forbidden, data };
  }
}

interface Held {
  readonly approval: ApprovalRecord;
  readonly binding: ApprovalBinding;
}

export function createMcpApprovals(deps: McpApprovalsDeps): McpApprovals {
  const held = new WeakMap<RequestContext, Held>();

  const bindingFor = (ctx: RequestContext): ApprovalBinding | undefined => {
    const m = mcpOf(ctx);
    if (m.method !== 'tools/call' || !m.tool || !ctx.principal) return undefined;
    return {
      principal: ctx.principal.id,
      ...(deps.decidedAs?.(m.tool) ?? { action: 'tools/call', resource: `Tool::${m.tool.name}` }),
      argsHash: argumentsHash(m.arguments ?? {}),
    };
  };

  const wrap = (inner: Stage): Stage => ({
    name: inner.name,
    async run(ctx) {
      const binding = bindingFor(ctx);
      if (!binding) return inner.run(ctx);
      const granted = await deps.approvals.findGranted(binding);
      if (granted) held.set(ctx, { approval: granted, binding });
      try {
        await inner.run(ctx);
      } catch (err) {
        if (!(err instanceof AirlockError) || err.code !== 'approval_required') throw err;
        const obligations = authorizedObligations(ctx);
        const have = new Set(granted?.groups ?? []);
        const rec = await deps.approvals.request({
          binding,
          groups: (obligations?.approval ?? []).filter((g) => !have.has(g)),
          requestId: ctx.requestId,
          ...(obligations?.ttlMs !== undefined ? { ttlMs: obligations.ttlMs } : {}),
        });
        const m = mcpOf(ctx);
        const elicit = acceptsUrlElicitation(ctx);
        ctx.trail.push({
          stage: 'obligations',
          outcome: 'deny',
          code: 'approval_required',
          detail: {
            approvalId: rec.id,
            groups: rec.groups,
            expiresAt: rec.expiresAt,
            via: elicit ? 'url-elicitation' : 'error',
          },
        });
        throw new McpApprovalRequiredError(rec, deps.approvalUrl(rec.id), elicit, m.tool!.name);
      }
      const state = held.get(ctx);
      if (!state) return;
      try {
        await deps.approvals.consume(state.approval.id, state.binding);
      } catch (err) {
        if (!(err instanceof AirlockError) || err.code !== 'approval_invalid') throw err;
        ctx.trail.push({
          stage: 'obligations',
          outcome: 'deny',
          code: 'approval_invalid',
          detail: { approvalId: state.approval.id, reason: 'already used or expired' },
        });
        throw err;
      }
      ctx.trail.push({
        stage: 'obligations',
        outcome: 'allow',
        detail: { approvalId: state.approval.id, approvedBy: state.approval.decidedBy, consumed: true },
      });
    },
  });

  const context = (ctx: RequestContext): Partial<DecisionContext> => {
    const state = held.get(ctx);
    if (!state) return {};
    const a = state.approval;
    return { approval: { id: a.id, approvers: a.decidedBy ? [a.decidedBy] : [], groups: a.groups } };
  };

  return { wrap, context };
}
