// The break-glass TOTP check against local users: the code must be fresh (later than the last step
// the user spent, consumed atomically), so a code seen at login cannot open a grant. Failures count
// against the user's login throttle (the same key and backoff as a wrong login): a stolen session
// cannot guess the 10^6 codes of step-up or break-glass at request rate, and guesses through login
// and through these routes share one budget. While locked, even a right code is refused (login_locked).

import { AirlockError } from '../../errors.ts';
import { lockedUntilAfter, retryAfterMs, type ThrottlePolicy } from '../../identity/users/throttle.ts';
import { verifyTotp } from '../../identity/users/totp.ts';
import type { UserRepo } from '../../identity/users/user-repo.ts';
import { totpSecretName } from '../../identity/users/user-service.ts';
import type { Vault } from '../../secrets/vault.ts';

/** The login per-user defaults (users.lockout.perUser). */
const DEFAULT_THROTTLE: ThrottlePolicy = {
  threshold: 5,
  baseMs: 30_000,
  maxMs: 15 * 60_000,
  resetAfterMs: 15 * 60_000,
};

export function userTotpVerifier(deps: {
  readonly repo: UserRepo;
  readonly vault: Pick<Vault, 'getBytes'>;
  readonly now?: () => number;
  /** Backoff after wrong codes (users.lockout.perUser); default that one's defaults. */
  readonly throttle?: ThrottlePolicy;
}): (principalId: string, code: string) => Promise<boolean> {
  const now = deps.now ?? Date.now;
  const policy = deps.throttle ?? DEFAULT_THROTTLE;
  return async (principalId, code) => {
    // Session principals carry the user name as id; the key is the login throttle's per-user key.
    const key = `user:${principalId.slice(0, 128)}`;
    const wait = retryAfterMs(await deps.repo.getThrottle(key), now());
    if (wait > 0) throw new AirlockError('login_locked', { retryAfter: Math.ceil(wait / 1000) });
    const user = await deps.repo.findUserByName(principalId);
    if (!user || user.disabledAt !== null || user.totpState !== 'enabled') return false;
    const secret = await deps.vault.getBytes(totpSecretName(user.id));
    let step: number | undefined;
    try {
      step = verifyTotp(secret, code, now(), { window: 1, lastUsedStep: user.totpLastStep });
    } finally {
      secret.fill(0);
    }
    if (step !== undefined && (await deps.repo.consumeTotpStep(user.id, step))) {
      await deps.repo.clearThrottle(key);
      return true;
    }
    const t = now();
    const failures = await deps.repo.recordFailure(key, t, policy.resetAfterMs);
    const until = lockedUntilAfter(failures, t, policy);
    if (until > 0) await deps.repo.lockUntil(key, until);
    return false;
  };
}
