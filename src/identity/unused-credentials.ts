// Credentials nobody uses (P2, P8): an API key or a local user idle for longer than
// identity.unusedAfter is attack surface with no owner watching it, so `airlock doctor` flags it.
// Tracked: API keys (lastUsedAt, written as keys are used) and local users (their latest console
// session). IdP JWT subjects and mTLS workloads are not tracked here: their IdP or CA owns their
// lifecycle, and airlock keeps no per-subject record of them.
import type { DoctorFinding } from '../egress/doctor.ts';
import type { Store } from '../store/types.ts';
import type { UserRepo } from './users/user-repo.ts';

const DAY_MS = 86_400_000;

export interface CredentialUse {
  readonly kind: 'api_key' | 'user';
  /** Names the credential without revealing it (id, prefix, owner). */
  readonly label: string;
  readonly issuedAt: Date;
  /** null: never used since it was issued. */
  readonly lastUsedAt: Date | null;
}

/** Live API keys and enabled local users with their last use. */
export async function collectCredentialUse(deps: {
  readonly store: Pick<Store, 'listApiKeys'>;
  readonly users?: Pick<UserRepo, 'listUsers' | 'lastActivity'>;
}): Promise<CredentialUse[]> {
  const out: CredentialUse[] = [];
  for (const k of await deps.store.listApiKeys())
    out.push({
      kind: 'api_key',
      label: `${k.kind} key ${k.id} (${k.prefix}…, owner ${k.owner})`,
      issuedAt: k.createdAt,
      lastUsedAt: k.lastUsedAt,
    });
  if (deps.users) {
    const seen = await deps.users.lastActivity();
    for (const u of await deps.users.listUsers()) {
      if (u.disabledAt !== null) continue;
      const at = seen.get(u.id);
      out.push({
        kind: 'user',
        label: `${u.role} user ${u.name} (${u.id})`,
        issuedAt: new Date(u.createdAt),
        lastUsedAt: at === undefined ? null : new Date(at),
      });
    }
  }
  return out;
}

export function unusedCredentialFindings(
  list: readonly CredentialUse[],
  now: Date,
  unusedAfterMs: number,
): DoctorFinding[] {
  const days = Math.round(unusedAfterMs / DAY_MS);
  const findings: DoctorFinding[] = [];
  for (const c of list) {
    const since = c.lastUsedAt ?? c.issuedAt;
    if (now.getTime() - since.getTime() < unusedAfterMs) continue;
    const idle = Math.floor((now.getTime() - since.getTime()) / DAY_MS);
    findings.push({
      level: 'warn',
      code: 'credential_unused',
      message: `${c.label} ${c.lastUsedAt ? `last used ${c.lastUsedAt.toISOString()}` : 'never used'} (${idle} days; identity.unusedAfter is ${days}d)`,
      fix:
        c.kind === 'api_key'
          ? 'Revoke it if nobody needs it (airlock keys revoke ID).'
          : 'Disable the user if they no longer need access (airlock users disable NAME).',
    });
  }
  if (findings.length === 0)
    findings.push({
      level: 'ok',
      code: 'credential_unused',
      message: `every API key and local user (${list.length}) was used within ${days}d`,
      fix: 'Nothing to do.',
    });
  return findings;
}
