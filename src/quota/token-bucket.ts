// Request-rate limiting with one token bucket per scope (key, model). In memory: a single node's
// limits; shared limits across replicas (Redis) are a later addition behind the same interface.
export interface RateLimiter {
  /** Takes one token; returns 0 when allowed, else the seconds until a token is available. */
  take(scope: string): number;
}

export function createTokenBucketLimiter(opts: { perMinute: number; now?: () => number }): RateLimiter {
  const now = opts.now ?? Date.now;
  const capacity = opts.perMinute;
  const refillPerMs = opts.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(scope) {
      const t = now();
      let b = buckets.get(scope);
      if (!b) {
        b = { tokens: capacity, at: t };
        buckets.set(scope, b);
      } else {
        b.tokens = Math.min(capacity, b.tokens + (t - b.at) * refillPerMs);
        b.at = t;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / refillPerMs / 1000));
    },
  };
}
