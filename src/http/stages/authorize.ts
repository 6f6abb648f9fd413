// authorize: the one decision point. Today it evaluates API-key scopes; the Cedar engine replaces
// this stage's body (not the pipeline) and takes scopes as policy input. Default deny.
import { AirlockError } from '../../errors.ts';
import { scopeAllows } from '../../policy/scopes.ts';
import type { Stage } from '../pipeline.ts';

export function createScopeAuthorizeStage(): Stage {
  return {
    name: 'authorize',
    run(ctx) {
      const principal = ctx.principal;
      const allowed =
        principal !== undefined &&
        scopeAllows(principal.scopes.endpoints, ctx.operation) &&
        (ctx.operation === 'models' ||
          (ctx.model !== undefined && scopeAllows(principal.scopes.models, ctx.model.alias)));
      if (!allowed) {
        // A model outside the key's scope is reported like an unknown model (P4: no probing).
        const code =
          ctx.operation !== 'models' && principal && scopeAllows(principal.scopes.endpoints, ctx.operation)
            ? 'model_not_found'
            : 'forbidden';
        ctx.trail.push({ stage: 'authorize', outcome: 'deny', code, detail: { policy: 'api-key-scope' } });
        throw new AirlockError(code);
      }
      ctx.trail.push({ stage: 'authorize', outcome: 'allow', detail: { policy: 'api-key-scope' } });
    },
  };
}

/** Admin surface: only admin principals (the authenticator already refuses client keys there). */
export function createAdminAuthorizeStage(): Stage {
  return {
    name: 'authorize',
    run(ctx) {
      if (ctx.principal?.kind !== 'admin') {
        ctx.trail.push({
          stage: 'authorize',
          outcome: 'deny',
          code: 'admin_forbidden',
          detail: { policy: 'admin-role' },
        });
        throw new AirlockError('admin_forbidden');
      }
      ctx.trail.push({ stage: 'authorize', outcome: 'allow', detail: { policy: 'admin-role' } });
    },
  };
}
