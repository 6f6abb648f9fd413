// Prompt and resource decisions from the one policy decision point (P3): actions prompts/list,
// prompts/get, resources/list, resources/read on Prompt / Resource entities under their Server,
// with the prompt's arguments, the credential and the task id as context. No scope shortcut: only
// a policy grants prompts and resources (default deny).
import { requesterCredential, requesterEntities } from '../policy/entities.ts';
import type { DecisionPoint } from '../policy/types.ts';
import type { AuthorizeContent } from './content.ts';

export function createPolicyContentAuthorizer(pdp: DecisionPoint): AuthorizeContent {
  return (ctx, req) => {
    const principal = ctx.principal;
    if (!principal) return { kind: 'deny', policies: [] };
    const requester = requesterEntities(principal);
    const taskId = principal.identity?.taskId;
    const decision = pdp.decide({
      principal: requester.principal,
      action: req.action,
      resource: {
        type: req.kind,
        id: req.id,
        attrs:
          req.kind === 'Prompt'
            ? { name: req.id, server: req.server }
            : { uri: req.upstreamId, server: req.server },
        parents: [{ type: 'Server', id: req.server }],
      },
      context: {
        ...(req.arguments ? { arguments: req.arguments } : {}),
        credential: requesterCredential(principal),
        clientAddress: ctx.clientAddress,
        ...(taskId !== undefined ? { taskId } : {}),
      },
      entities: [{ type: 'Server', id: req.server, attrs: { name: req.server } }, ...requester.entities],
    });
    return { kind: decision.kind, policies: decision.policies, obligations: decision.obligations };
  };
}
