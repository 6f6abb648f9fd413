import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectCredentialUse, unusedCredentialFindings } from './unused-credentials.ts';

const DAY = 86_400_000;
const now = new Date(Date.UTC(2030, 0, 31));
const ago = (d: number) => new Date(now.getTime() - d * DAY);

test('unused: a key idle past unusedAfter, a never-used key and a never-logged-in user → warn; recent use → not', () => {
  const findings = unusedCredentialFindings(
    [
      { kind: 'api_key', label: 'client key k1', issuedAt: ago(90), lastUsedAt: ago(31) },
      { kind: 'api_key', label: 'client key k2', issuedAt: ago(90), lastUsedAt: ago(29) },
      { kind: 'api_key', label: 'client key k3', issuedAt: ago(45), lastUsedAt: null },
      { kind: 'api_key', label: 'client key k4', issuedAt: ago(2), lastUsedAt: null },
      { kind: 'user', label: 'admin user ops', issuedAt: ago(60), lastUsedAt: null },
    ],
    now,
    30 * DAY,
  );
  assert.deepEqual(
    findings.map((f) => [f.level, f.code, f.message.split(' ').slice(0, 3).join(' ')]),
    [
      ['warn', 'credential_unused', 'client key k1'],
      ['warn', 'credential_unused', 'client key k3'],
      ['warn', 'credential_unused', 'admin user ops'],
    ],
  );
  assert.match(
    findings[0]!.message,
    /last used 2029-12-31T00:00:00.000Z \(31 days; identity.unusedAfter is 30d\)/,
  );
  assert.match(findings[1]!.message, /never used \(45 days/);
  assert.match(findings[2]!.fix, /airlock users disable/);
});

test('unused: nothing idle → one ok finding naming the threshold', () => {
  const f = unusedCredentialFindings(
    [{ kind: 'api_key', label: 'k', issuedAt: ago(1), lastUsedAt: null }],
    now,
    7 * DAY,
  );
  assert.deepEqual(
    f.map((x) => [x.level, x.message]),
    [['ok', 'every API key, local user, IdP subject and mTLS workload tracked (1) was used within 7d']],
  );
});

test('collect: API keys with their last use; enabled users with their latest session; disabled users skipped', async () => {
  const key = {
    id: 'k1',
    prefix: 'alk_abcd',
    hash: 'h',
    owner: 'app',
    kind: 'client' as const,
    models: ['*'],
    endpoints: ['*'],
    createdAt: ago(40),
    expiresAt: ago(-10),
    revokedAt: null,
    replacedBy: null,
    lastUsedAt: ago(3),
    createdBy: null,
  };
  const user = (id: string, disabledAt: number | null) => ({
    id,
    name: id,
    role: 'admin' as const,
    passwordHash: '$argon2id$…',
    passwordChangedAt: 0,
    totpState: 'enabled' as const,
    totpLastStep: null,
    createdAt: ago(50).getTime(),
    disabledAt,
  });
  const list = await collectCredentialUse({
    store: { listApiKeys: async () => [key] },
    users: {
      listUsers: async () => [user('u1', null), user('u2', null), user('u3', 1)],
      lastActivity: async () => new Map([['u1', ago(5).getTime()]]),
    },
    lastSeen: {
      list: async () => [
        { kind: 'jwt', issuer: 'https://idp', subject: 'alice', firstSeenAt: ago(40), lastSeenAt: ago(35) },
        {
          kind: 'spiffe',
          issuer: 'spiffe://corp',
          subject: 'spiffe://corp/a',
          firstSeenAt: ago(9),
          lastSeenAt: ago(8),
        },
      ],
    },
  });
  assert.deepEqual(
    list.map((c) => [c.kind, c.label, c.lastUsedAt?.getTime() ?? null]),
    [
      ['api_key', 'client key k1 (alk_abcd…, owner app)', ago(3).getTime()],
      ['user', 'admin user u1 (u1)', ago(5).getTime()],
      ['user', 'admin user u2 (u2)', null],
      ['jwt_subject', 'IdP subject alice (issuer https://idp)', ago(35).getTime()],
      ['workload', 'mTLS workload spiffe://corp/a', ago(8).getTime()],
    ],
  );
  // IdP subjects and workloads idle past unusedAfter are flagged like keys, with their own fix.
  const flagged = unusedCredentialFindings(list, now, 30 * DAY).filter((f) => f.level === 'warn');
  assert.deepEqual(
    flagged.map((f) => f.message.split(' (')[0]),
    ['admin user u2', 'IdP subject alice'],
  );
  assert.match(flagged[1]!.message, /last used .* \(35 days; identity.unusedAfter is 30d\)/);
  assert.match(flagged[1]!.fix, /at the IdP/);
  assert.ok(!JSON.stringify(list).includes('argon2'), 'no password hash leaves the collector');
});
