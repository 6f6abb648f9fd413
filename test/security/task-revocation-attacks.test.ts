// Attacks on ending a task (P8) through the real token endpoint (RFC 8693 /oauth/token, RFC 7009
// /oauth/revoke) with real API keys and real signed task tokens on loopback. Task ids are chosen by
// callers, so a holder must end only its own subject's task: another subject that reuses (or
// guesses) the task id must neither end someone else's task nor block them from minting for it.
// The holder itself must not dodge its revocation by exchanging again for the same task.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { buildListener, type Listener } from '../../src/http/server.ts';
import { createMemoryRevocationStore } from '../../src/identity/revocation-store.ts';
import { createTaskTokenAuthenticator } from '../../src/identity/task-token-authenticator.ts';
import { createTaskTokenService } from '../../src/identity/task-token-service.ts';
import { registerTokenEndpoint, TOKEN_EXCHANGE_GRANT } from '../../src/identity/token-endpoint.ts';
import { fileSigningKeyStore } from '../../src/identity/token-signing-key-stores.ts';
import { createSigningKeyring } from '../../src/identity/token-signing-keys.ts';
import type { AuthResult } from '../../src/identity/types.ts';
import { AUDIENCE, bearer, memoryApiKeys, NOW } from './identity-fixtures.ts';

const AT = 'urn:ietf:params:oauth:token-type:access_token';
const MAX_MS = 15 * 60_000;

let clock = NOW;
const now = () => clock;
const revocations = createMemoryRevocationStore(now);
const keyring = createSigningKeyring(
  { rotationMs: 24 * 3_600_000, retainMs: MAX_MS + 60_000, now },
  {
    keys: fileSigningKeyStore(join(mkdtempSync(join(tmpdir(), 'airlock-ttr-')), 'secrets', 'token-signing')),
  },
);
const ttConfig = {
  issuer: AUDIENCE,
  audience: AUDIENCE,
  maxLifetimeMs: MAX_MS,
  skewMs: 60_000,
  maxDelegationDepth: 3,
};
const service = createTaskTokenService({ ...ttConfig, requireScope: true }, { keyring, revocations, now });
const taskAuth = createTaskTokenAuthenticator(ttConfig, { keyring, revocations, now });
const apiKeys = memoryApiKeys(now);
const apiKey = (owner: string): string => apiKeys.mint({ owner });
const keyAuth = apiKeys.authenticator;

let listener: Listener;
let base: string;
before(async () => {
  listener = buildListener(
    { host: '127.0.0.1', port: 0 },
    { bodyBytes: 1 << 20, headerBytes: 16384, requestTimeout: '10s', maxConcurrent: 16, maxMessages: 16 },
  );
  registerTokenEndpoint(listener.app, {
    service,
    authenticators: [keyAuth, taskAuth],
    keyring,
    taskTokens: taskAuth,
  });
  base = await listener.listen();
});
after(() => listener.close());
beforeEach(() => {
  clock = NOW;
});

async function form(path: string, params: Record<string, string>) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const exchange = (subject: string, taskId: string) =>
  form('/oauth/token', {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: subject,
    subject_token_type: AT,
    task_id: taskId,
    scope: 'model:small',
  });
async function mint(subject: string, taskId: string): Promise<string> {
  const r = await exchange(subject, taskId);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body['access_token'] as string;
}
const use = (token: string): Promise<AuthResult> =>
  taskAuth.authenticate({ ...bearer(token), surface: 'client' });
const refusedCode = (r: AuthResult) => (r.kind === 'reject' ? r.code : r.kind);

test('another tenant revoking its own token of the same task id does not end the victim task', async () => {
  const alice = apiKey('tenant-a-app');
  const mallory = apiKey('tenant-b-app');
  const victim = await mint(alice, 'nightly-report');
  const own = await mint(mallory, 'nightly-report');
  assert.deepEqual(await form('/oauth/revoke', { token: own }), { status: 200, body: {} });
  assert.equal(refusedCode(await use(own)), 'revoked_token', 'the holder ended its own task');
  assert.equal((await use(victim)).kind, 'authenticated', "another subject's task is untouched");
  // Squatting a task id ahead of its owner blocks nobody else either.
  assert.equal((await exchange(alice, 'nightly-report')).status, 200);
  const squat = await mint(mallory, 'payroll-run');
  await form('/oauth/revoke', { token: squat });
  assert.equal((await exchange(alice, 'payroll-run')).status, 200);
});

test('a holder cannot dodge its revocation: no new token of the task from the key or a sibling', async () => {
  const key = apiKey('batch-app');
  const t1 = await mint(key, 'job-dodge');
  const child = (
    await form('/oauth/token', {
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: t1,
      subject_token_type: AT,
      task_id: 'job-dodge',
      scope: 'model:small',
    })
  ).body['access_token'] as string;
  assert.equal((await use(child)).kind, 'authenticated');
  assert.deepEqual(await form('/oauth/revoke', { token: t1 }), { status: 200, body: {} });
  assert.equal(refusedCode(await use(t1)), 'revoked_token');
  assert.equal(refusedCode(await use(child)), 'revoked_token', 'descendants end with the task');
  const again = await exchange(key, 'job-dodge');
  assert.deepEqual([again.status, again.body['error']], [400, 'invalid_grant'], 'no re-mint for the task');
  const fromRevoked = await exchange(t1, 'job-dodge');
  assert.deepEqual([fromRevoked.status, fromRevoked.body['error']], [400, 'invalid_grant']);
  // Until every token it could match has expired.
  clock = NOW + MAX_MS + 60_000 + 1000;
  assert.equal((await exchange(key, 'job-dodge')).status, 200);
});

test('an admin revocation ends the task id for every subject; expired tokens are no subject', async () => {
  const a = apiKey('app-one');
  const b = apiKey('app-two');
  const ta = await mint(a, 'incident-42');
  const tb = await mint(b, 'incident-42');
  await service.revokeTask('incident-42', 'admin:carol/key');
  assert.equal(refusedCode(await use(ta)), 'revoked_token');
  assert.equal(refusedCode(await use(tb)), 'revoked_token');
  assert.equal((await exchange(b, 'incident-42')).body['error'], 'invalid_grant');
  const live = await mint(a, 'other-job');
  clock = NOW + MAX_MS + 120_000;
  assert.equal((await exchange(live, 'other-job')).body['error'], 'invalid_grant', 'expired subject token');
});
