// Daily token budgets per scope (key, model). The store holds the durable count (shared by replicas);
// the account stage adds tokens live while a stream flows, so a stream that crosses its budget is
// ended as it happens instead of being billed afterwards.
//
// Writes are batched: finished requests add to an in-memory tally that is flushed to the store on a
// short interval, so no request waits on a store fsync for accounting. The tally counts toward
// `remaining` immediately. A crash loses at most one interval of counts; the audit log still holds
// every request's usage (it is the record, this is the meter).
import type { UsageStore } from '../store/types.ts';

export interface TokenBudgets {
  /** Remaining tokens today for each scope with a budget; Infinity when none applies. */
  remaining(scopes: readonly BudgetScope[]): Promise<number>;
  /** Counts tokens used by a finished request. */
  commit(scopes: readonly BudgetScope[], tokens: number): Promise<void>;
  secondsUntilReset(): number;
  /** Writes pending counts to the store. */
  flush(): Promise<void>;
  /** Flushes and stops the interval. */
  close(): Promise<void>;
}

export interface BudgetScope {
  readonly scope: string;
  readonly perDay: number;
}

const DAY_MS = 86_400_000;
/** The last day asked for: every request asks, and a Date plus toISOString per request was ~1% of
 *  the main thread. UTC days are exactly DAY_MS long in ECMAScript time (no leap seconds). */
let lastDayStart = Number.NaN;
let lastDay = '';

export function utcDay(t: number): string {
  if (t >= lastDayStart && t < lastDayStart + DAY_MS) return lastDay;
  const day = new Date(t).toISOString().slice(0, 10);
  lastDayStart = Math.floor(t / DAY_MS) * DAY_MS;
  lastDay = day;
  return day;
}

export function createTokenBudgets(deps: {
  store: UsageStore;
  now?: () => number;
  flushIntervalMs?: number;
}): TokenBudgets {
  const now = deps.now ?? Date.now;
  /** `${day}\0${scope}` → tokens not yet written to the store. */
  const pending = new Map<string, number>();
  /** Counts being written right now: still counted until the store has them. */
  const inFlight = new Map<string, number>();
  const key = (day: string, scope: string) => `${day}\0${scope}`;
  let flushing: Promise<void> | undefined;

  async function flush(): Promise<void> {
    if (flushing) return flushing;
    if (pending.size === 0) return;
    const batch = [...pending];
    pending.clear();
    for (const [k, t] of batch) inFlight.set(k, t);
    flushing = (async () => {
      try {
        await Promise.all(
          batch.map(async ([k, tokens]) => {
            const [day, scope] = k.split('\0') as [string, string];
            try {
              await deps.store.addTokenUsage(scope, day, tokens);
              inFlight.delete(k);
            } catch {
              // The store is down: keep the count for the next flush rather than lose it.
              inFlight.delete(k);
              pending.set(k, (pending.get(k) ?? 0) + tokens);
            }
          }),
        );
      } finally {
        flushing = undefined;
      }
    })();
    return flushing;
  }

  const timer = setInterval(() => void flush(), deps.flushIntervalMs ?? 250);
  timer.unref();

  return {
    async remaining(scopes) {
      let least = Number.POSITIVE_INFINITY;
      const day = utcDay(now());
      for (const s of scopes) {
        const k = key(day, s.scope);
        const used =
          (await deps.store.getTokenUsage(s.scope, day)) + (pending.get(k) ?? 0) + (inFlight.get(k) ?? 0);
        least = Math.min(least, s.perDay - used);
      }
      return least;
    },
    async commit(scopes, tokens) {
      if (tokens <= 0) return;
      const day = utcDay(now());
      for (const s of scopes) {
        const k = key(day, s.scope);
        pending.set(k, (pending.get(k) ?? 0) + tokens);
      }
    },
    secondsUntilReset() {
      const t = new Date(now());
      const midnight = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1);
      return Math.max(1, Math.ceil((midnight - t.getTime()) / 1000));
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
