// authenticate: the first authenticator that does not abstain decides. No credential → 401.
import { AirlockError } from '../../errors.ts';
import type { Authenticator } from '../../identity/types.ts';
import type { Stage } from '../pipeline.ts';

export function createAuthenticateStage(deps: {
  authenticators: readonly Authenticator[];
  surface: 'client' | 'admin';
}): Stage {
  return {
    name: 'authenticate',
    async run(ctx) {
      for (const authenticator of deps.authenticators) {
        const result = await authenticator.authenticate({
          headers: ctx.headers,
          surface: deps.surface,
          method: ctx.method,
          peer: ctx.peer,
        });
        if (result.kind === 'abstain') continue;
        if (result.kind === 'reject') {
          ctx.trail.push({
            stage: 'authenticate',
            outcome: 'deny',
            code: result.code,
            detail: { authenticator: authenticator.id, credentialPrefix: result.credentialPrefix ?? null },
          });
          throw new AirlockError(result.code);
        }
        ctx.principal = result.principal;
        ctx.trail.push({
          stage: 'authenticate',
          outcome: 'allow',
          detail: { authenticator: authenticator.id },
        });
        return;
      }
      ctx.trail.push({ stage: 'authenticate', outcome: 'deny', code: 'missing_credentials' });
      throw new AirlockError('missing_credentials');
    },
  };
}
