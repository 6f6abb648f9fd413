// Login throttling with exponential backoff, per user name and per client address (OWASP
// Authentication Cheat Sheet: account lockout that slows guessing without a permanent lock an attacker
// could use to deny service). Pure: the state lives in the store, the clock is injected.

export interface ThrottleState {
  readonly failures: number;
  readonly lastFailureAt: number;
  /** Epoch ms; 0 when not locked. */
  readonly lockedUntil: number;
}

export interface ThrottlePolicy {
  /** Failures before the first lock. */
  readonly threshold: number;
  /** First lock length; each further failure doubles it. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** A quiet period after which the count starts again. */
  readonly resetAfterMs: number;
}

/** Milliseconds until the key may try again; 0 when it may now. */
export function retryAfterMs(state: ThrottleState | undefined, now: number): number {
  return state && state.lockedUntil > now ? state.lockedUntil - now : 0;
}

/** Lock end after the `failures`-th consecutive failure, or 0 while under the threshold. */
export function lockedUntilAfter(failures: number, now: number, policy: ThrottlePolicy): number {
  const over = failures - policy.threshold;
  return over >= 0 ? now + Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(over, 30)) : 0;
}
