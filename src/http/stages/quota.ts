// quota: request rate, concurrency and daily token budget — per key and per model (429 + Retry-After).
// Limiters are built once here from config; nothing is compiled per request. `update` swaps the rules
// of an approved config change in place: limiters of unchanged rules keep their state, changed ones
// start full, and the concurrency counts of requests in flight carry over.
import type { AirlockConfig, QuotaRule } from '../../config/schema.ts';
import { AirlockError } from '../../errors.ts';
import { createConcurrencyLimiter } from '../../quota/concurrency.ts';
import { createTokenBucketLimiter, type RateLimiter } from '../../quota/token-bucket.ts';
import type { BudgetScope, TokenBudgets } from '../../quota/token-budget.ts';
import type { RequestContext } from '../context.ts';
import type { Stage } from '../pipeline.ts';

export interface QuotaDeps {
  readonly quotas: AirlockConfig['quotas'];
  readonly budgets: TokenBudgets;
  readonly now?: () => number;
}

/** The budget scopes that apply to a request; the account stage charges the same ones. */
export type BudgetScopesOf = (ctx: RequestContext) => BudgetScope[];

export interface QuotaStage extends Stage {
  readonly budgetScopes: BudgetScopesOf;
  /** Applies new quota rules to requests from now on (an approved config change). */
  update(quotas: AirlockConfig['quotas']): void;
}

export function createQuotaStage(deps: QuotaDeps): QuotaStage {
  type Limiter = { perMinute: number; limiter: RateLimiter } | undefined;
  const rateOf = (rule: QuotaRule | undefined, prior?: Limiter): Limiter => {
    const perMinute = rule?.requestsPerMinute;
    if (!perMinute) return undefined;
    if (prior?.perMinute === perMinute) return prior;
    return { perMinute, limiter: createTokenBucketLimiter({ perMinute, now: deps.now }) };
  };
  let quotas = deps.quotas;
  let keyRate = rateOf(quotas.perKey);
  let modelRates = new Map(Object.entries(quotas.perModel).map(([alias, rule]) => [alias, rateOf(rule)]));
  const concurrency = createConcurrencyLimiter();

  const budgetScopes: BudgetScopesOf = (ctx) => {
    const scopes: BudgetScope[] = [];
    const keyBudget = quotas.perKey.tokensPerDay;
    if (keyBudget && ctx.principal)
      scopes.push({ scope: `key:${ctx.principal.credentialId}`, perDay: keyBudget });
    const modelBudget = ctx.model ? quotas.perModel[ctx.model.alias]?.tokensPerDay : undefined;
    if (modelBudget && ctx.model) scopes.push({ scope: `model:${ctx.model.alias}`, perDay: modelBudget });
    return scopes;
  };

  const deny = (
    ctx: RequestContext,
    code: 'rate_limited' | 'concurrency_limited' | 'token_budget_exceeded',
    retryAfter: number,
    scope: string,
  ): never => {
    ctx.trail.push({ stage: 'quota', outcome: 'deny', code, detail: { scope } });
    throw new AirlockError(code, { retryAfter });
  };

  return {
    name: 'quota',
    budgetScopes,
    update(next) {
      keyRate = rateOf(next.perKey, keyRate);
      modelRates = new Map(
        Object.entries(next.perModel).map(([alias, rule]) => [alias, rateOf(rule, modelRates.get(alias))]),
      );
      quotas = next;
    },
    async run(ctx) {
      const principal = ctx.principal;
      if (!principal) return;
      const keyScope = `key:${principal.credentialId}`;
      const wait = keyRate?.limiter.take(keyScope) ?? 0;
      if (wait > 0) deny(ctx, 'rate_limited', wait, 'key');
      const alias = ctx.model?.alias;
      if (alias) {
        const modelWait = modelRates.get(alias)?.limiter.take(`model:${alias}`) ?? 0;
        if (modelWait > 0) deny(ctx, 'rate_limited', modelWait, 'model');
      }
      const scopes = budgetScopes(ctx);
      if (scopes.length > 0) {
        // Read once: the account stage meters the stream against this same figure.
        const remaining = await deps.budgets.remaining(scopes);
        ctx.tokensRemaining = remaining;
        if (remaining <= 0) deny(ctx, 'token_budget_exceeded', deps.budgets.secondsUntilReset(), 'tokens');
      }
      const limit = quotas.perKey.concurrency;
      if (limit) {
        const release = concurrency.acquire(keyScope, limit);
        if (!release) deny(ctx, 'concurrency_limited', 1, 'key');
        else ctx.cleanups.push(release);
      }
      ctx.trail.push({ stage: 'quota', outcome: 'allow' });
    },
  };
}
