// Daily token budgets per scope (key, model). The store holds the durable count (shared by replicas);
// this tracker caches it and adds tokens live while a stream flows, so a stream that crosses its
// budget is ended as it happens instead of being billed afterwards.
import type { UsageStore } from '../store/types.ts';

export interface TokenBudgets {
  /** Remaining tokens today for each scope with a budget; Infinity when none applies. */
  remaining(scopes: readonly BudgetScope[]): Promise<number>;
  /** Persists tokens used by a finished request. */
  commit(scopes: readonly BudgetScope[], tokens: number): Promise<void>;
  secondsUntilReset(): number;
}

export interface BudgetScope {
  readonly scope: string;
  readonly perDay: number;
}

export function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

export function createTokenBudgets(deps: { store: UsageStore; now?: () => number }): TokenBudgets {
  const now = deps.now ?? Date.now;
  return {
    async remaining(scopes) {
      let least = Number.POSITIVE_INFINITY;
      const day = utcDay(now());
      for (const s of scopes) {
        const used = await deps.store.getTokenUsage(s.scope, day);
        least = Math.min(least, s.perDay - used);
      }
      return least;
    },
    async commit(scopes, tokens) {
      if (tokens <= 0) return;
      const day = utcDay(now());
      await Promise.all(scopes.map((s) => deps.store.addTokenUsage(s.scope, day, tokens)));
    },
    secondsUntilReset() {
      const t = now();
      const midnight = Date.UTC(
        new Date(t).getUTCFullYear(),
        new Date(t).getUTCMonth(),
        new Date(t).getUTCDate() + 1,
      );
      return Math.max(1, Math.ceil((midnight - t) / 1000));
    },
  };
}
