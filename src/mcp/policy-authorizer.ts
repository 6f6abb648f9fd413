// Tool decisions from the one policy decision point (P3): OAuth-style tool scopes on tokens
// (`tool:server__name`, `tool:server__*`) allow directly; everything else — API keys included — is
// decided by Cedar with action tools/call (or tools/list), resource Tool, and the call's arguments
// as context, so a site grants tools to keys and narrows arguments with policies.
import { credentialContext, principalEntity } from '../policy/entities.ts';
import type { DecisionPoint } from '../policy/types.ts';
import { defaultAllowTool } from './authorize.ts';
import type { AuthorizeTool } from './types.ts';

export function createPolicyToolAuthorizer(pdp: DecisionPoint): AuthorizeTool {
  return (ctx, req) => {
    const principal = ctx.principal;
    if (!principal) return { kind: 'deny', policies: [] };
    if (defaultAllowTool(principal, req.tool)) return { kind: 'allow', policies: ['tool-scope'] };
    const decision = pdp.decide({
      principal: principalEntity(principal),
      action: req.action,
      resource: {
        type: 'Tool',
        id: req.tool,
        attrs: { name: req.tool, server: req.server },
        parents: [{ type: 'Server', id: req.server }],
      },
      context: {
        ...(req.arguments ? { arguments: req.arguments } : {}),
        credential: credentialContext(principal),
        clientAddress: ctx.clientAddress,
      },
      entities: [{ type: 'Server', id: req.server, attrs: { name: req.server } }],
    });
    return { kind: decision.kind, policies: decision.policies };
  };
}
