// account: tokens counted live while a stream flows. Each content-bearing chunk counts as one
// completion token until the upstream's own usage report (requested with include_usage) replaces
// the estimate. A stream that crosses the remaining budget is ended with an error event.
import { AirlockError } from '../../errors.ts';
import type { TokenBudgets } from '../../quota/token-budget.ts';
import type { RequestContext } from '../context.ts';
import type { Stage } from '../pipeline.ts';
import type { BudgetScopesOf } from './quota.ts';

function chunkHasContent(chunk: Record<string, unknown>): boolean {
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return false;
  for (const c of choices as Record<string, unknown>[]) {
    const delta = c.delta as Record<string, unknown> | undefined;
    if (delta && (delta.content || delta.tool_calls || delta.reasoning_content)) return true;
    if (typeof c.text === 'string' && c.text.length > 0) return true;
  }
  return false;
}

export function readUsage(body: Record<string, unknown>): { prompt: number; completion: number } | undefined {
  const u = body.usage as Record<string, unknown> | undefined | null;
  if (!u || typeof u !== 'object') return undefined;
  const prompt = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const completion = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  return { prompt, completion };
}

export function createAccountStage(deps: { budgets: TokenBudgets; budgetScopes: BudgetScopesOf }): Stage & {
  settle(ctx: RequestContext): Promise<void>;
} {
  /** Counts tokens per chunk against what was left when the request started. */
  const meter = (ctx: RequestContext, remaining: number): void => {
    let estimated = 0;
    ctx.chunkHooks.push((chunk) => {
      const usage = readUsage(chunk);
      if (usage) {
        ctx.usage.promptTokens = usage.prompt;
        ctx.usage.completionTokens = usage.completion;
        return;
      }
      if (!chunkHasContent(chunk)) return;
      ctx.firstTokenAt ??= performance.now();
      estimated += 1;
      ctx.usage.completionTokens = estimated;
      if (estimated > remaining) {
        ctx.trail.push({
          stage: 'account',
          outcome: 'deny',
          code: 'token_budget_exceeded',
          detail: { streamedTokens: estimated },
        });
        throw new AirlockError('token_budget_exceeded', { retryAfter: deps.budgets.secondsUntilReset() });
      }
    });
  };

  return {
    name: 'account',
    run(ctx) {
      // The quota stage read the budget a moment ago: one store read per request, not two, and no
      // await on the common path.
      if (ctx.tokensRemaining !== undefined) return meter(ctx, ctx.tokensRemaining);
      const scopes = deps.budgetScopes(ctx);
      if (scopes.length === 0) return meter(ctx, Number.POSITIVE_INFINITY);
      return deps.budgets.remaining(scopes).then((remaining) => meter(ctx, remaining));
    },
    /** Charges the finished request's tokens to every budget scope. */
    async settle(ctx) {
      const total = ctx.usage.promptTokens + ctx.usage.completionTokens;
      const scopes = deps.budgetScopes(ctx);
      if (scopes.length > 0) await deps.budgets.commit(scopes, total);
    },
  };
}
