// Per-upstream circuit breaker: `failures` consecutive faults open it; after `cooldownMs` one trial
// request is let through (half-open); its success closes the circuit, its failure re-opens it for
// another cooldown. Time is passed in so tests drive it without waiting.

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreaker {
  /** Current state at `now` (an open circuit whose cooldown has passed reads as half-open). */
  state(now: number): CircuitState;
  /** May a request go to this upstream now? In half-open, true for exactly one caller at a time. */
  tryAcquire(now: number): boolean;
  /** The upstream answered (any status that is not its fault). */
  onSuccess(now: number): void;
  /** The upstream failed (connect error, 5xx, timeout, broken stream). */
  onFailure(now: number): void;
  /** A request let through ended with neither verdict (client abort): free the half-open trial slot. */
  release(): void;
  /** Milliseconds until an open circuit admits a trial (0 when not open). */
  retryInMs(now: number): number;
}

export interface CircuitBreakerOptions {
  failures: number;
  cooldownMs: number;
  onChange?: (from: CircuitState, to: CircuitState) => void;
}

export function createCircuitBreaker(opts: CircuitBreakerOptions): CircuitBreaker {
  let consecutive = 0;
  let openedAt = 0;
  let open = false; // open or half-open
  let trialInFlight = false;
  let reported: CircuitState = 'closed';

  const current = (now: number): CircuitState => {
    if (!open) return 'closed';
    return now - openedAt >= opts.cooldownMs ? 'half-open' : 'open';
  };
  const report = (now: number) => {
    const s = current(now);
    if (s !== reported) {
      const from = reported;
      reported = s;
      opts.onChange?.(from, s);
    }
  };

  return {
    state(now) {
      report(now);
      return reported;
    },
    tryAcquire(now) {
      const s = current(now);
      if (s === 'closed') return true;
      report(now);
      if (s === 'open' || trialInFlight) return false;
      trialInFlight = true;
      return true;
    },
    onSuccess(now) {
      consecutive = 0;
      trialInFlight = false;
      open = false;
      report(now);
    },
    onFailure(now) {
      trialInFlight = false;
      consecutive++;
      // A failed trial re-opens at once; a closed circuit opens at the threshold.
      if (open || consecutive >= opts.failures) {
        open = true;
        openedAt = now;
        // Force open → half-open → open to report as open again after a failed trial.
        if (reported === 'half-open') {
          reported = 'open';
          opts.onChange?.('half-open', 'open');
        }
      }
      report(now);
    },
    release() {
      trialInFlight = false;
    },
    retryInMs(now) {
      return current(now) === 'open' ? opts.cooldownMs - (now - openedAt) : 0;
    },
  };
}
