// Step-up on /mcp (P8): a tool whose permitting policy says `@stepup("mfa")` answers a caller that
// has not stepped up with a JSON-RPC error the client can act on — stable code step_up_required,
// `data.stepUp` naming POST /admin/v1/stepup and whether this caller can complete it at all (only a
// local user's console session can; an API key or task token is told step-up needs an interactive
// user). After the session steps up, the same call is allowed and its trail (and so its audit entry)
// says it was stepped up; a policy's `@ttl` bounds the step-up's age, as on /v1, /api and /admin.
import { AirlockError } from '../errors.ts';
import type { Stage } from '../http/pipeline.ts';
import { canStepUp, STEP_UP_ROUTE, type StepUpService } from '../policy/stepup/step-up-service.ts';
import { RPC, type RpcShapedError } from './jsonrpc.ts';

export class McpStepUpRequiredError extends AirlockError implements RpcShapedError {
  readonly rpc: RpcShapedError['rpc'];
  constructor(cause: AirlockError, interactive: boolean) {
    super('step_up_required', {
      cause,
      ...(cause.detail !== undefined ? { detail: cause.detail } : {}),
      ...(cause.publicDetail !== undefined ? { publicDetail: cause.publicDetail } : {}),
    });
    this.rpc = {
      code: RPC.forbidden,
      data: {
        stepUp: {
          method: 'POST',
          path: STEP_UP_ROUTE,
          factors: ['mfa'],
          interactiveUserRequired: true,
          canStepUp: interactive,
        },
      },
    };
  }
}

/** Wraps the /mcp authorize stage with the service's step-up wrapper (context checks and trail),
 *  its refusals shaped for JSON-RPC clients. */
export function mcpStepUp(stepUp: StepUpService): (authorize: Stage) => Stage {
  return (authorize) =>
    stepUp.authorize(
      authorize,
      (refusal, ctx) => new McpStepUpRequiredError(refusal, canStepUp(ctx.principal)),
    );
}
