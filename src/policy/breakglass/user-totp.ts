// The break-glass TOTP check against local users: the code must be fresh (later than the last step
// the user spent, consumed atomically), so a code seen at login cannot open a grant.

import { verifyTotp } from '../../identity/users/totp.ts';
import type { UserRepo } from '../../identity/users/user-repo.ts';
import { totpSecretName } from '../../identity/users/user-service.ts';
import type { Vault } from '../../secrets/vault.ts';

export function userTotpVerifier(deps: {
  readonly repo: UserRepo;
  readonly vault: Pick<Vault, 'getBytes'>;
  readonly now?: () => number;
}): (principalId: string, code: string) => Promise<boolean> {
  const now = deps.now ?? Date.now;
  return async (principalId, code) => {
    // Session principals carry the user name as id.
    const user = await deps.repo.findUserByName(principalId);
    if (!user || user.disabledAt !== null || user.totpState !== 'enabled') return false;
    const secret = await deps.vault.getBytes(totpSecretName(user.id));
    let step: number | undefined;
    try {
      step = verifyTotp(secret, code, now(), { window: 1, lastUsedStep: user.totpLastStep });
    } finally {
      secret.fill(0);
    }
    return step !== undefined && (await deps.repo.consumeTotpStep(user.id, step));
  };
}
