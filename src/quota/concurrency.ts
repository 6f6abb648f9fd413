// Concurrency caps per scope. acquire() returns a release function, or undefined when at the cap.
export interface ConcurrencyLimiter {
  acquire(scope: string, limit: number): (() => void) | undefined;
  inFlight(scope: string): number;
}

export function createConcurrencyLimiter(): ConcurrencyLimiter {
  const counts = new Map<string, number>();
  return {
    acquire(scope, limit) {
      const n = counts.get(scope) ?? 0;
      if (n >= limit) return undefined;
      counts.set(scope, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(scope) ?? 1) - 1;
        if (left <= 0) counts.delete(scope);
        else counts.set(scope, left);
      };
    },
    inFlight: (scope) => counts.get(scope) ?? 0,
  };
}
