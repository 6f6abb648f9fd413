// authorize: one call to the policy decision point per request (P3). The decision and the ids of
// the policies that decided go on the trail (and so into the audit entry). Deny → forbidden, or
// model_not_found when the caller may do nothing at all with the model (P4: no probing); an
// admin-surface deny → admin_forbidden. needs-approval / needs-step-up refuse with their own codes
// until the obligations stage exists. An engine failure denies (fail closed) with policy_unavailable.
import type { FindingsSummary } from '../dlp/summary.ts';
import { AirlockError, type ErrorCode } from '../errors.ts';
import type { RequestContext } from '../http/context.ts';
import { isModelEndpoint } from '../http/context.ts';
import type { Stage } from '../http/pipeline.ts';
import {
  actionForOperation,
  adminObjectFor,
  catalogEntity,
  credentialContext,
  type ModelAttributes,
  modelEntity,
  principalEntity,
} from './entities.ts';
import type {
  Decision,
  DecisionContext,
  DecisionPoint,
  DecisionRequest,
  ModelAction,
  Obligations,
} from './types.ts';

export interface PolicyAuthorizeStageDeps {
  readonly pdp: DecisionPoint;
  /** 'client' (default) for /v1, 'admin' for /admin/v1 (denials there are admin_forbidden). */
  readonly surface?: 'client' | 'admin';
  /** Attributes of a model alias for policies (tier …); defaults to tier "standard". */
  readonly modelAttributes?: (alias: string) => ModelAttributes;
  /** Extra context from earlier stages (approvals, break-glass, zone …). */
  readonly context?: (ctx: RequestContext) => Partial<DecisionContext>;
  /** The request's inbound DLP findings summary, scanned once before the decision (inspect-in acts
   *  on the same scan), so policies can read `context.findings`. */
  readonly findings?: (ctx: RequestContext) => FindingsSummary;
}

const modelUse: readonly ModelAction[] = ['chat', 'complete', 'embed', 'models/list'];

/** The decision request for a pipeline context, or undefined when nothing can be asked (deny). */
export function decisionRequestFor(
  ctx: RequestContext,
  deps: Pick<PolicyAuthorizeStageDeps, 'modelAttributes' | 'context' | 'findings'> = {},
): DecisionRequest | undefined {
  const principal = ctx.principal;
  const action = actionForOperation(ctx.operation);
  if (!principal || !action) return undefined;
  let resource: DecisionRequest['resource'];
  if (ctx.operation === 'models') resource = catalogEntity('models');
  else if (isModelEndpoint(ctx.operation)) {
    if (!ctx.model) return undefined;
    resource = modelEntity(ctx.model.alias, deps.modelAttributes?.(ctx.model.alias));
  } else resource = adminObjectFor(ctx.operation);
  const context: DecisionContext = {
    clientAddress: ctx.clientAddress,
    stream: ctx.stream,
    ...(deps.findings ? { findings: deps.findings(ctx) } : {}),
    credential: credentialContext(principal),
    ...deps.context?.(ctx),
  };
  return { principal: principalEntity(principal), action, resource, context };
}

/** The obligations of this request's last authorize decision, as the stage below put them on the trail
 *  (what an approval or step-up wrapper acts on after a refusal or an allow). */
export function authorizedObligations(ctx: RequestContext): Partial<Obligations> | undefined {
  return ctx.trail.findLast((d) => d.stage === 'authorize')?.detail?.obligations as
    | Partial<Obligations>
    | undefined;
}

export function createPolicyAuthorizeStage(deps: PolicyAuthorizeStageDeps): Stage {
  const surface = deps.surface ?? 'client';
  const denyCode = (ctx: RequestContext, request: DecisionRequest | undefined): ErrorCode => {
    if (surface === 'admin') return 'admin_forbidden';
    if (!request || ctx.operation === 'models' || !isModelEndpoint(ctx.operation)) return 'forbidden';
    // A model the caller can use in no way at all is reported like an unknown model (P4). What this
    // request carries (its DLP findings) is not part of that question: a prompt refused for its
    // content is forbidden, not a reason to hide the model.
    const { findings: _carried, ...context } = request.context ?? {};
    if (request.context?.findings?.count && deps.pdp.decide({ ...request, context }).kind !== 'deny')
      return 'forbidden';
    const visible = modelUse.some(
      (action) =>
        action !== request.action && deps.pdp.decide({ ...request, action, context }).kind !== 'deny',
    );
    return visible ? 'forbidden' : 'model_not_found';
  };
  const refuse = refuseAuthorization;
  return {
    name: 'authorize',
    run(ctx) {
      const request = decisionRequestFor(ctx, deps);
      const base = { version: deps.pdp.version };
      if (!request)
        refuse(ctx, denyCode(ctx, request), { ...base, policies: [], reason: 'no decision request' });
      let decision: Decision;
      try {
        decision = deps.pdp.decide(request!);
      } catch (err) {
        // Fail closed: an engine that cannot answer is a deny, recorded like any other.
        const reason = err instanceof AirlockError ? (err.detail ?? err.code) : 'policy engine failure';
        return refuse(ctx, 'policy_unavailable', { ...base, policies: [], reason }, err);
      }
      const findings = request!.context?.findings;
      const detail = {
        ...base,
        policies: decision.policies,
        decision: decision.kind,
        obligations: decision.obligations,
        // What the decision saw of the DLP findings (the same summary as context.findings).
        ...(findings && findings.count > 0 ? { findings } : {}),
      };
      switch (decision.kind) {
        case 'allow':
          ctx.trail.push({ stage: 'authorize', outcome: 'allow', detail });
          return;
        case 'needs-approval':
          return refuse(ctx, 'approval_required', { ...detail, reason: decision.reasons.at(-1) });
        case 'needs-step-up':
          return refuse(ctx, 'step_up_required', { ...detail, reason: decision.reasons.at(-1) });
        default: {
          let code: ErrorCode;
          try {
            code = denyCode(ctx, request);
          } catch {
            code = 'forbidden';
          }
          return refuse(ctx, code, { ...detail, reason: decision.reasons.at(-1) });
        }
      }
    },
  };
}

/** GET /v1/models: the catalogue entries the caller may see (P4), through the decision point. */
export function visibleModels<M extends { readonly alias: string }>(
  ctx: RequestContext,
  pdp: DecisionPoint,
  models: readonly M[],
  modelAttributes?: (alias: string) => ModelAttributes,
): M[] {
  if (!ctx.principal) return [];
  const principal = principalEntity(ctx.principal);
  const byId = new Map(models.map((m) => [m.alias, m]));
  const allowed = pdp.listAllowed(
    principal,
    'models/list',
    models.map((m) => modelEntity(m.alias, modelAttributes?.(m.alias))),
    { clientAddress: ctx.clientAddress, stream: false, credential: credentialContext(ctx.principal) },
  );
  return allowed.map((e) => byId.get(e.id)!).filter((m) => m !== undefined);
}

/** Ends a request at authorize: the refusal goes on the trail (an engine failure as an error, anything
 *  else as a deny) and is thrown as the surface's error. Shared by every surface's authorize stage. */
export function refuseAuthorization(
  ctx: RequestContext,
  code: ErrorCode,
  detail: Record<string, unknown>,
  cause?: unknown,
): never {
  ctx.trail.push({
    stage: 'authorize',
    outcome: code === 'policy_unavailable' ? 'error' : 'deny',
    code,
    detail,
  });
  throw new AirlockError(code, { detail: String(detail.reason ?? code), cause });
}
