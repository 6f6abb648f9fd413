// Credentials nobody uses (P2, P8): an API key, a local user, an IdP subject or an mTLS workload idle
// for longer than identity.unusedAfter is attack surface with no owner watching it, so `airlock
// doctor` flags it. Tracked: API keys (lastUsedAt, written as keys are used), local users (their
// latest console session), IdP JWT subjects (issuer + sub) and mTLS workloads (SPIFFE ID) from
// identity_last_seen (last-seen-recorder.ts; from their first use on, as airlock issues neither).
import type { DoctorFinding } from '../egress/doctor.ts';
import type { Store } from '../store/types.ts';
import type { LastSeenStore } from './last-seen-store.ts';
import type { UserRepo } from './users/user-repo.ts';

const DAY_MS = 86_400_000;

export interface CredentialUse {
  readonly kind: 'api_key' | 'user' | 'jwt_subject' | 'workload';
  /** Names the credential without revealing it (id, prefix, owner). */
  readonly label: string;
  readonly issuedAt: Date;
  /** null: never used since it was issued. */
  readonly lastUsedAt: Date | null;
}

/** Live API keys, enabled local users, IdP subjects and workloads seen, with their last use. */
export async function collectCredentialUse(deps: {
  readonly store: Pick<Store, 'listApiKeys'>;
  readonly users?: Pick<UserRepo, 'listUsers' | 'lastActivity'>;
  readonly lastSeen?: Pick<LastSeenStore, 'list'>;
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
  for (const s of (await deps.lastSeen?.list()) ?? [])
    out.push({
      kind: s.kind === 'jwt' ? 'jwt_subject' : 'workload',
      label:
        s.kind === 'jwt' ? `IdP subject ${s.subject} (issuer ${s.issuer})` : `mTLS workload ${s.subject}`,
      issuedAt: s.firstSeenAt,
      lastUsedAt: s.lastSeenAt,
    });
  return out;
}

const FIX: Record<CredentialUse['kind'], string> = {
  api_key: 'Revoke it if nobody needs it (airlock keys revoke ID).',
  user: 'Disable the user if they no longer need access (airlock users disable NAME).',
  jwt_subject:
    'Disable the subject or its client at the IdP if it no longer needs airlock (the IdP owns it).',
  workload: 'Stop issuing its X509-SVID, or narrow identity.mtls.workloads, if nothing runs as it any more.',
};

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
      fix: FIX[c.kind],
    });
  }
  if (findings.length === 0)
    findings.push({
      level: 'ok',
      code: 'credential_unused',
      message: `every API key, local user, IdP subject and mTLS workload tracked (${list.length}) was used within ${days}d`,
      fix: 'Nothing to do.',
    });
  return findings;
}
