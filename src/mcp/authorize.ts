// The default tool authorizer until the Cedar decision point plugs into `AuthorizeTool`: a caller
// may use a tool when its credential carries a `tool:` scope covering it — `tool:<server>__<tool>`,
// `tool:<server>__*` or `tool:*` (the OAuth scope vocabulary of src/identity). Default deny: an API
// key has no tool scopes today, so it sees and calls no tools.
import type { Principal } from '../http/context.ts';
import type { AuthorizeTool } from './types.ts';

/** Does a scope list cover `tool:<name>`? Exact, or a `prefix*` entry. */
export function toolScopeCovers(scopes: readonly string[], tool: string): boolean {
  const wanted = `tool:${tool}`;
  for (const s of scopes) {
    if (s === wanted) return true;
    if (s.endsWith('*') && s.startsWith('tool:') && wanted.startsWith(s.slice(0, -1))) return true;
  }
  return false;
}

/** Scopes of a principal that carries OAuth-style scopes (JWT, task tokens); none for API keys. */
export function scopesOf(principal: Principal): readonly string[] {
  const scope = (principal as { identity?: { scope?: unknown } }).identity?.scope;
  return Array.isArray(scope) ? (scope as string[]) : [];
}

export function defaultAllowTool(principal: Principal, tool: string): boolean {
  return toolScopeCovers(scopesOf(principal), tool);
}

/** Adapts a predicate to the AuthorizeTool hook (decisions name the predicate as their policy). */
export function authorizeToolWith(
  allowTool: (principal: Principal, tool: string) => boolean,
  policyId = 'tool-scope',
): AuthorizeTool {
  return (ctx, req) => {
    const ok = ctx.principal !== undefined && allowTool(ctx.principal, req.tool);
    return { kind: ok ? 'allow' : 'deny', policies: ok ? [policyId] : [] };
  };
}
