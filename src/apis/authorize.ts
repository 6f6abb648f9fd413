// Policy input for an API call (P3, P10): action `api/call`, resource ApiOperation (service, method,
// path template, operationId; child of Catalog::"apis"), and the call's flat arguments — path,
// query, header parameters and body fields, the same names an agent uses when the operation is an
// MCP tool — as `context.arguments`. One policy then covers a microservice and an agent.
//
// `apiResourceOf` / `apiContextOf` are the hooks the shared authorize stage needs; until it takes
// them, `createApiAuthorizeStage` asks the decision point itself with the same request shape.
import type { FindingsSummary } from '../dlp/summary.ts';
import { AirlockError, type ErrorCode } from '../errors.ts';
import type { RequestContext } from '../http/context.ts';
import type { Stage } from '../http/pipeline.ts';
import { refuseAuthorization } from '../policy/authorize-stage.ts';
import { requesterCredential, requesterEntities } from '../policy/entities.ts';
import type {
  Decision,
  DecisionContext,
  DecisionPoint,
  DecisionRequest,
  PolicyEntity,
} from '../policy/types.ts';
import { apiCallOf } from './call.ts';
import type { ApiOperation } from './openapi.ts';

/** ApiOperation::"<service>__<operationId>" — the same name the operation has as an MCP tool. */
export function apiOperationEntity(op: ApiOperation): PolicyEntity {
  return {
    type: 'ApiOperation',
    id: `${op.service}__${op.operationId}`,
    attrs: { service: op.service, method: op.method, path: op.pathTemplate, operationId: op.operationId },
    parents: [{ type: 'Catalog', id: 'apis' }],
  };
}

/** The resource of an API call (undefined before resolve ran: the stage then denies). */
export function apiResourceOf(ctx: RequestContext): PolicyEntity | undefined {
  const call = apiCallOf(ctx);
  return call ? apiOperationEntity(call.operation) : undefined;
}

/** The API-specific part of the decision context. */
export function apiContextOf(ctx: RequestContext): Partial<DecisionContext> {
  const call = apiCallOf(ctx);
  return call ? { arguments: call.arguments } : {};
}

export function apiDecisionRequest(
  ctx: RequestContext,
  findings?: (ctx: RequestContext) => FindingsSummary,
): DecisionRequest | undefined {
  const principal = ctx.principal;
  const resource = apiResourceOf(ctx);
  if (!principal || !resource) return undefined;
  // The same principal as on /mcp: a task token is an Agent acting on behalf of its subject (P10).
  const requester = requesterEntities(principal);
  const taskId = principal.identity?.taskId;
  return {
    principal: requester.principal,
    action: 'api/call',
    resource,
    context: {
      clientAddress: ctx.clientAddress,
      stream: false,
      ...(findings ? { findings: findings(ctx) } : {}),
      credential: requesterCredential(principal),
      ...(taskId !== undefined ? { taskId } : {}),
      ...apiContextOf(ctx),
    },
    ...(requester.entities.length > 0 ? { entities: requester.entities } : {}),
  };
}

/** authorize for /api: one decision per call; deny → forbidden; engine failure → policy_unavailable
 *  (fail closed); needs-approval / needs-step-up refuse with their codes (the obligations stage
 *  wrapped around it turns approval_required into an approval request, src/http/stages/obligations.ts). */
export function createApiAuthorizeStage(deps: {
  readonly pdp: DecisionPoint;
  /** The request's inbound DLP findings (scanned once, before the decision). */
  readonly findings?: (ctx: RequestContext) => FindingsSummary;
  /** Context only the obligations stage knows (a granted approval, a break-glass grant). */
  readonly context?: (ctx: RequestContext) => Partial<DecisionContext>;
}): Stage {
  const refuse = refuseAuthorization;
  return {
    name: 'authorize',
    run(ctx) {
      const base = { version: deps.pdp.version };
      const asked = apiDecisionRequest(ctx, deps.findings);
      const request =
        asked && deps.context ? { ...asked, context: { ...asked.context, ...deps.context(ctx) } } : asked;
      if (!request) return refuse(ctx, 'forbidden', { ...base, policies: [], reason: 'no decision request' });
      let decision: Decision;
      try {
        decision = deps.pdp.decide(request);
      } catch (err) {
        const reason = err instanceof AirlockError ? (err.detail ?? err.code) : 'policy engine failure';
        return refuse(ctx, 'policy_unavailable', { ...base, policies: [], reason }, err);
      }
      const findings = request.context?.findings;
      const detail = {
        ...base,
        // What was decided, named like on /mcp when the operation is a tool (P10: one audit story).
        action: request.action,
        resource: `${request.resource.type}::${request.resource.id}`,
        policies: decision.policies,
        decision: decision.kind,
        obligations: decision.obligations,
        // What the decision saw of the DLP findings (the same summary as context.findings).
        ...(findings && findings.count > 0 ? { findings } : {}),
      };
      if (decision.kind === 'allow') {
        ctx.trail.push({ stage: 'authorize', outcome: 'allow', detail });
        return;
      }
      const code: ErrorCode =
        decision.kind === 'needs-approval'
          ? 'approval_required'
          : decision.kind === 'needs-step-up'
            ? 'step_up_required'
            : 'forbidden';
      return refuse(ctx, code, { ...detail, reason: decision.reasons.at(-1) });
    },
  };
}
