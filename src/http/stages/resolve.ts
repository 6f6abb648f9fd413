// resolve: model alias → an approved route. Unknown and not-permitted models get the same answer,
// so a caller cannot probe which aliases exist (P4).
import { AirlockError } from '../../errors.ts';
import type { Router } from '../../inference/types.ts';
import { isModelEndpoint } from '../context.ts';
import type { Stage } from '../pipeline.ts';

export function createResolveStage(deps: { router: Pick<Router, 'resolve'> }): Stage {
  return {
    name: 'resolve',
    run(ctx) {
      const endpoint = ctx.operation;
      if (!isModelEndpoint(endpoint)) return;
      const alias = ctx.body.model;
      const model = typeof alias === 'string' ? deps.router.resolve(alias) : undefined;
      if (!model) {
        ctx.trail.push({ stage: 'resolve', outcome: 'deny', code: 'model_not_found' });
        throw new AirlockError('model_not_found');
      }
      if (!model.endpoints.includes(endpoint)) {
        ctx.trail.push({
          stage: 'resolve',
          outcome: 'deny',
          code: 'endpoint_not_supported',
          detail: { model: model.alias },
        });
        throw new AirlockError('endpoint_not_supported');
      }
      ctx.model = model;
      ctx.trail.push({ stage: 'resolve', outcome: 'allow', detail: { model: model.alias } });
    },
  };
}
