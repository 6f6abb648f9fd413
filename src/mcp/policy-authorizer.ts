// Tool decisions from the one policy decision point (P3): action tools/call (or tools/list),
// resource Tool under its Server, the call's arguments, the credential, the task id and any granted
// approval as context. An OAuth `tool:` scope covering the tool counts as a permit of its own when
// no policy permits (Cedar's default deny), but never overrides a forbid, an approval or a step-up.
// A task token's `tool:` scopes are also a ceiling (RFC 8693 narrowing): a tool outside them is
// denied whatever the policies say. Task tokens are Agents acting on behalf of their subject.
import type { RequestContext } from '../http/context.ts';
import { requesterCredential, requesterEntities } from '../policy/entities.ts';
import type { DecisionContext, DecisionPoint } from '../policy/types.ts';
import { scopesOf, toolScopeCovers } from './authorize.ts';
import type { AuthorizeTool } from './types.ts';

export interface PolicyToolAuthorizerOptions {
  /** Context only the obligations know (a granted approval presented by this request). */
  readonly context?: (ctx: RequestContext) => Partial<DecisionContext>;
}

export function createPolicyToolAuthorizer(
  pdp: DecisionPoint,
  opts: PolicyToolAuthorizerOptions = {},
): AuthorizeTool {
  return (ctx, req) => {
    const principal = ctx.principal;
    if (!principal) return { kind: 'deny', policies: [] };
    const scopes = scopesOf(principal);
    const covered = toolScopeCovers(scopes, req.tool);
    const identity = principal.identity;
    const taskToken = identity?.credentialKind === 'task-token';
    if (taskToken && !covered && scopes.some((s) => s.startsWith('tool:')))
      return { kind: 'deny', policies: [] };
    const requester = requesterEntities(principal);
    const decision = pdp.decide({
      principal: requester.principal,
      action: req.action,
      resource: {
        type: 'Tool',
        id: req.tool,
        attrs: { name: req.tool, server: req.server },
        parents: [{ type: 'Server', id: req.server }],
      },
      context: {
        ...(req.arguments ? { arguments: req.arguments } : {}),
        ...(req.findings ? { findings: req.findings } : {}),
        credential: requesterCredential(principal),
        clientAddress: ctx.clientAddress,
        ...(identity?.taskId !== undefined ? { taskId: identity.taskId } : {}),
        ...opts.context?.(ctx),
      },
      entities: [{ type: 'Server', id: req.server, attrs: { name: req.server } }, ...requester.entities],
    });
    if (decision.kind === 'deny' && decision.policies.length === 0 && covered)
      return { kind: 'allow', policies: ['tool-scope'] };
    return { kind: decision.kind, policies: decision.policies, obligations: decision.obligations };
  };
}
