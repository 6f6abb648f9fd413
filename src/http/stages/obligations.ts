// obligations: turns the approval and break-glass obligations of a decision into something a
// caller can satisfy, and proves they were satisfied (P8). It cooperates with authorize in three
// pieces, wired as
//
//   … resolve → obligations.stage → obligations.authorize(createPolicyAuthorizeStage({ pdp,
//               context: obligations.context })) → quota …
//
// 1. `stage` (before authorize): a request carrying `x-airlock-approval: apr_…` must present a
//    granted, unexpired approval bound to this principal, action, resource and SHA-256 of the RFC
//    8785 canonical body — else approval_invalid (fail closed: a wrong approval is never ignored).
//    `x-airlock-break-glass: bg_…` must name an open grant of this principal — else refused.
// 2. `context` hands both to the decision point (context.approval / context.breakGlass), so the
//    policies decide with them; nothing but this stage ever sets them.
// 3. `authorize(stage)` wraps authorize: on approval_required it files (or reuses) the approval
//    request and refuses with its id; on allow it consumes the presented approval atomically (a
//    second use loses the race → approval_invalid) and counts the break-glass use. Every action
//    under a grant carries `breakGlass: <grantId>` on the trail (and so in the audit entry).
import { AirlockError } from '../../errors.ts';
import { type ApprovalService, argumentsHash } from '../../policy/approvals/approval-service.ts';
import type { ApprovalBinding, ApprovalRecord } from '../../policy/approvals/types.ts';
import { authorizedObligations, decisionRequestFor } from '../../policy/authorize-stage.ts';
import type { BreakGlassService } from '../../policy/breakglass/breakglass-service.ts';
import type { GrantRecord } from '../../policy/breakglass/types.ts';
import type { StepUpService } from '../../policy/stepup/step-up-service.ts';
import type { DecisionContext, DecisionRequest } from '../../policy/types.ts';
import type { RequestContext } from '../context.ts';
import type { Stage } from '../pipeline.ts';

export const APPROVAL_HEADER = 'x-airlock-approval';
export const BREAK_GLASS_HEADER = 'x-airlock-break-glass';

export interface ObligationsStageDeps {
  readonly approvals: ApprovalService;
  readonly breakGlass?: BreakGlassService;
  /** What the approval hash covers (default: the validated body; tool calls pass their arguments). */
  readonly argumentsOf?: (ctx: RequestContext) => unknown;
  /** Where an approver finds the request (default `/admin/v1/approvals/<id>`). */
  readonly approvalUrl?: (id: string) => string;
  /** Step-up markers of console sessions (context.credential.stepUp); absent: nobody can step up. */
  readonly stepUp?: StepUpService;
  /** The decision request an approval is bound to (default: the /v1 and admin one; /api passes
   *  its own so an approval names `api/call` on the ApiOperation). */
  readonly requestFor?: (ctx: RequestContext) => DecisionRequest | undefined;
}

export interface ObligationsStage {
  /** Runs before authorize (name 'obligations'). */
  readonly stage: Stage;
  /** Pass as `context` to createPolicyAuthorizeStage. */
  context(ctx: RequestContext): Partial<DecisionContext>;
  /** Wraps the authorize stage (keeps its name). */
  authorize(inner: Stage): Stage;
}

interface Held {
  binding?: ApprovalBinding;
  approval?: ApprovalRecord;
  grant?: GrantRecord;
}

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function createObligationsStage(deps: ObligationsStageDeps): ObligationsStage {
  const held = new WeakMap<RequestContext, Held>();
  const argumentsOf = deps.argumentsOf ?? ((ctx: RequestContext) => ctx.body);
  const urlFor = deps.approvalUrl ?? ((id: string) => `/admin/v1/approvals/${id}`);

  const bindingFor = (ctx: RequestContext): ApprovalBinding | undefined => {
    const request = (deps.requestFor ?? decisionRequestFor)(ctx);
    if (!request || !ctx.principal) return undefined;
    return {
      principal: ctx.principal.id,
      action: request.action,
      resource: `${request.resource.type}::${request.resource.id}`,
      argsHash: argumentsHash(argumentsOf(ctx)),
    };
  };

  const refuse = (
    ctx: RequestContext,
    code: 'approval_invalid' | 'break_glass_refused' | 'break_glass_expired',
    err: unknown,
    detail: Record<string, unknown>,
  ): never => {
    const e = err instanceof AirlockError && err.code === code ? err : new AirlockError(code, { cause: err });
    ctx.trail.push({
      stage: 'obligations',
      outcome: 'deny',
      code,
      detail: { ...detail, reason: e.detail ?? code },
    });
    throw e;
  };

  const stage: Stage = {
    name: 'obligations',
    async run(ctx) {
      const approvalId = header(ctx, APPROVAL_HEADER);
      const grantId = header(ctx, BREAK_GLASS_HEADER);
      if (approvalId === undefined && grantId === undefined) return;
      const state: Held = {};
      held.set(ctx, state);
      if (approvalId !== undefined) {
        const binding = bindingFor(ctx);
        if (!binding) refuse(ctx, 'approval_invalid', undefined, { approvalId });
        try {
          state.approval = await deps.approvals.check(approvalId, binding!);
          state.binding = binding;
        } catch (err) {
          if (!(err instanceof AirlockError) || err.code !== 'approval_invalid') throw err;
          refuse(ctx, 'approval_invalid', err, { approvalId });
        }
        ctx.trail.push({ stage: 'obligations', outcome: 'info', detail: { approvalId, presented: true } });
      }
      if (grantId !== undefined) {
        if (!deps.breakGlass || !ctx.principal)
          refuse(ctx, 'break_glass_refused', undefined, { breakGlass: grantId });
        try {
          state.grant = await deps.breakGlass!.check(grantId, ctx.principal!.id);
        } catch (err) {
          const code =
            err instanceof AirlockError && err.code === 'break_glass_expired'
              ? 'break_glass_expired'
              : 'break_glass_refused';
          if (
            !(err instanceof AirlockError) ||
            (err.code !== 'break_glass_expired' && err.code !== 'break_glass_refused')
          )
            throw err;
          refuse(ctx, code, err, { breakGlass: grantId });
        }
        ctx.trail.push({ stage: 'obligations', outcome: 'info', detail: { breakGlass: grantId } });
      }
    },
  };

  const context = (ctx: RequestContext): Partial<DecisionContext> => {
    const stepped = deps.stepUp?.context(ctx) ?? {};
    const state = held.get(ctx);
    if (!state) return stepped;
    const out: {
      approval?: DecisionContext['approval'];
      breakGlass?: DecisionContext['breakGlass'];
      credential?: DecisionContext['credential'];
    } = { ...stepped };
    if (state.approval)
      out.approval = {
        id: state.approval.id,
        approvers: state.approval.decidedBy ? [state.approval.decidedBy] : [],
        groups: state.approval.groups,
      };
    if (state.grant)
      out.breakGlass = { id: state.grant.id, reason: state.grant.reason, expiresAt: state.grant.expiresAt };
    return out;
  };

  const authorize = (outer: Stage): Stage => {
    const inner = deps.stepUp ? deps.stepUp.authorize(outer) : outer;
    return {
      name: inner.name,
      async run(ctx) {
        try {
          await inner.run(ctx);
        } catch (err) {
          if (!(err instanceof AirlockError) || err.code !== 'approval_required') throw err;
          const binding = bindingFor(ctx);
          if (!binding) throw err;
          const obligations = authorizedObligations(ctx);
          const granted = new Set(held.get(ctx)?.approval?.groups ?? []);
          const groups = (obligations?.approval ?? []).filter((g) => !granted.has(g));
          const rec = await deps.approvals.request({
            binding,
            groups,
            requestId: ctx.requestId,
            ...(obligations?.ttlMs !== undefined ? { ttlMs: obligations.ttlMs } : {}),
          });
          ctx.trail.push({
            stage: 'obligations',
            outcome: 'deny',
            code: 'approval_required',
            detail: { approvalId: rec.id, groups: rec.groups, expiresAt: rec.expiresAt },
          });
          throw new AirlockError('approval_required', {
            detail: err.detail,
            cause: err,
            publicDetail: `Approval ${rec.id} is pending (approver group: ${rec.groups.join(', ') || 'any'}); see ${urlFor(rec.id)}. Once approved, repeat the identical request with header ${APPROVAL_HEADER}: ${rec.id}.`,
          });
        }
        const state = held.get(ctx);
        if (state?.approval && state.binding) {
          try {
            await deps.approvals.consume(state.approval.id, state.binding);
          } catch (err) {
            if (!(err instanceof AirlockError) || err.code !== 'approval_invalid') throw err;
            refuse(ctx, 'approval_invalid', err, { approvalId: state.approval.id });
          }
          ctx.trail.push({
            stage: 'obligations',
            outcome: 'allow',
            detail: { approvalId: state.approval.id, approvedBy: state.approval.decidedBy, consumed: true },
          });
        }
        if (state?.grant) {
          await deps.breakGlass!.recordUse(state.grant.id);
          ctx.trail.push({
            stage: 'obligations',
            outcome: 'allow',
            detail: { breakGlass: state.grant.id, review: true },
          });
        }
      },
    };
  };

  return { stage, context, authorize };
}
