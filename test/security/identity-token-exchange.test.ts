// Token exchange (RFC 8693) attack suite over a real HTTP listener on loopback: scope escalation,
// audience mismatch, lifetime caps, revocation on the next use, nested act chains, and a JWKS that
// publishes no private material.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import * as jose from 'jose';
import { buildListener, type Listener } from '../../src/http/server.ts';
import { createJwtAuthenticator } from '../../src/identity/jwt-authenticator.ts';
import type { IdentityPrincipal } from '../../src/identity/principal.ts';
import { createMemoryRevocationStore } from '../../src/identity/revocation-store.ts';
import {
  createTaskTokenAuthenticator,
  type TaskTokenUseEvent,
} from '../../src/identity/task-token-authenticator.ts';
import { createTaskTokenService, type TaskTokenEvent } from '../../src/identity/task-token-service.ts';
import { registerTokenEndpoint, TOKEN_EXCHANGE_GRANT } from '../../src/identity/token-endpoint.ts';
import { fileSigningKeyStore } from '../../src/identity/token-signing-key-stores.ts';
import { createSigningKeyring } from '../../src/identity/token-signing-keys.ts';
import type { AuthResult } from '../../src/identity/types.ts';
import {
  AUDIENCE,
  bearer,
  idpKeys,
  idpToken,
  issuerConfig,
  jwksOf,
  memoryApiKeys,
  NOW,
  nowSec,
  writeJwksFile,
} from './identity-fixtures.ts';

const AT = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const MAX_MS = 15 * 60_000;
const ROTATION_MS = 24 * 3_600_000;

let clock = NOW;
const now = () => clock;
const events: TaskTokenEvent[] = [];
const uses: TaskTokenUseEvent[] = [];
const revocations = createMemoryRevocationStore();
const keyring = createSigningKeyring(
  { rotationMs: ROTATION_MS, retainMs: MAX_MS + 60_000, now },
  { keys: fileSigningKeyStore(join(mkdtempSync(join(tmpdir(), 'airlock-tt-')), 'secrets', 'token-signing')) },
);
const ttConfig = {
  issuer: AUDIENCE,
  audience: AUDIENCE,
  maxLifetimeMs: MAX_MS,
  skewMs: 60_000,
  maxDelegationDepth: 3,
};
const service = createTaskTokenService(
  { ...ttConfig, requireScope: true },
  { keyring, revocations, now, onEvent: (e) => void events.push(e) },
);
const taskAuth = createTaskTokenAuthenticator(ttConfig, {
  keyring,
  revocations,
  now,
  onUse: (e) => uses.push(e),
});
const jwtAuth = createJwtAuthenticator(
  { audience: AUDIENCE, issuers: [issuerConfig({ jwksFile: writeJwksFile(jwksOf([idpKeys().rsa])) })] },
  { now },
);
const apiKeys = memoryApiKeys(now);
const apiKey = (kind: 'client' | 'admin', models: string[], endpoints: string[]): string =>
  apiKeys.mint({ owner: `svc-${kind}`, kind, models, endpoints });
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
    authenticators: [keyAuth, taskAuth, jwtAuth],
    keyring,
    taskTokens: taskAuth,
  });
  base = await listener.listen();
});
after(() => listener.close());
beforeEach(() => {
  clock = NOW;
  events.length = 0;
  uses.length = 0;
});

async function exchange(
  params: Record<string, string | string[]>,
  contentType = 'application/x-www-form-urlencoded',
) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) body.append(k, x);
  const res = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: contentType.includes('json') ? JSON.stringify(params) : body.toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const grant = (subject: string, extra: Record<string, string | string[]> = {}) => ({
  grant_type: TOKEN_EXCHANGE_GRANT,
  subject_token: subject,
  subject_token_type: AT,
  task_id: 'task-1',
  scope: 'model:small endpoint:chat',
  ...extra,
});

async function use(token: string, surface: 'client' | 'admin' = 'client'): Promise<AuthResult> {
  return taskAuth.authenticate({ ...bearer(token), surface });
}

test('exchange: API key → task token narrowed to the requested scope, verified on use', async () => {
  const key = apiKey('client', ['small', 'large'], ['chat', 'embeddings']);
  const r = await exchange(grant(key));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(r.body.token_type, 'Bearer');
  assert.equal(r.body.issued_token_type, AT);
  assert.equal(r.body.expires_in, 900);
  assert.equal(r.body.scope, 'model:small endpoint:chat');
  const u = await use(r.body.access_token as string);
  assert.equal(u.kind, 'authenticated');
  const p = (u as Extract<AuthResult, { kind: 'authenticated' }>).principal as IdentityPrincipal;
  assert.equal(p.id, 'svc-client');
  assert.deepEqual(p.scopes, { models: ['small'], endpoints: ['chat'] });
  assert.equal(p.identity.taskId, 'task-1');
  assert.equal(p.identity.credentialKind, 'task-token');
  assert.equal(uses.at(-1)?.outcome, 'accepted');
  assert.equal(events[0]?.type, 'task_token.issued');
});

test('exchange: scope escalation → invalid_scope', async () => {
  const key = apiKey('client', ['small'], ['chat']);
  for (const scope of ['model:large', 'model:*', 'model:small endpoint:embeddings', 'admin:*']) {
    const r = await exchange(grant(key, { scope }));
    assert.equal(r.status, 400, scope);
    assert.equal(r.body.error, 'invalid_scope', scope);
  }
  assert.equal((await exchange(grant(key, { scope: [] as never }))).body.error, 'invalid_scope'); // scope required
  assert.equal(events.at(-1)?.type, 'task_token.refused');
});

test('exchange: audience or resource other than this gateway → invalid_target', async () => {
  const key = apiKey('client', ['*'], ['*']);
  assert.equal(
    (await exchange(grant(key, { audience: 'https://other.internal' }))).body.error,
    'invalid_target',
  );
  assert.equal((await exchange(grant(key, { audience: [AUDIENCE, 'x'] }))).body.error, 'invalid_target');
  assert.equal(
    (await exchange(grant(key, { resource: 'https://api.internal/' }))).body.error,
    'invalid_target',
  );
  assert.equal((await exchange(grant(key, { audience: AUDIENCE }))).status, 200);
  const viaResource = await exchange({
    ...grant(key),
    task_id: [] as never,
    resource: 'urn:airlock:task:t-9',
  });
  assert.equal(viaResource.status, 200);
  const u = await use(viaResource.body.access_token as string);
  assert.equal(u.kind === 'authenticated' && (u.principal as IdentityPrincipal).identity.taskId, 't-9');
});

test('exchange: lifetime capped by config and by the subject credential', async () => {
  const key = apiKey('client', ['*'], ['*']);
  const long = await exchange(grant(key, { expires_in: '86400' }));
  assert.equal(long.body.expires_in, 900);
  const claims = jose.decodeJwt(long.body.access_token as string);
  assert.equal(claims.exp! - claims.iat!, 900);
  assert.equal((await exchange(grant(key, { expires_in: '60' }))).body.expires_in, 60);
  // An IdP token with 5 minutes left yields a task token with at most 5 minutes.
  const idp = await idpToken({ claims: { exp: nowSec + 300 } });
  const short = await exchange(grant(idp, { subject_token_type: JWT }));
  assert.equal(short.body.expires_in, 300);
  // And the token itself is refused once expired (plus skew), even after a cached successful use.
  assert.equal((await use(short.body.access_token as string)).kind, 'authenticated');
  clock = NOW + 301_000 + 60_000;
  const u = await use(short.body.access_token as string);
  assert.equal(u.kind === 'reject' && u.code, 'expired_token');
});

test('exchange: revoked task → the next use is rejected, and no new token for it', async () => {
  const key = apiKey('client', ['*'], ['*']);
  const token = (await exchange(grant(key, { task_id: 'task-rev' }))).body.access_token as string;
  assert.equal((await use(token)).kind, 'authenticated');
  await service.revokeTask('task-rev', 'admin:bob');
  const u = await use(token);
  assert.equal(u.kind === 'reject' && u.code, 'revoked_token');
  assert.deepEqual(
    uses.map((e) => e.outcome),
    ['accepted', 'rejected'],
  );
  assert.equal(uses[1]?.reason, 'revoked');
  assert.equal((await exchange(grant(key, { task_id: 'task-rev' }))).body.error, 'invalid_grant');
  // A single token by jti.
  const t2 = (await exchange(grant(key, { task_id: 'task-jti' }))).body.access_token as string;
  await service.revokeToken(jose.decodeJwt(t2).jti!, 'admin:bob');
  assert.equal((await use(t2)).kind, 'reject');
  assert.equal((await exchange(grant(key, { task_id: 'task-jti' }))).status, 200); // the task itself lives
});

test('exchange: act chain nests per RFC 8693 §4.1 (current actor outermost)', async () => {
  const alice = await idpToken();
  const agent = await idpToken({ claims: { sub: 'agent-7', airlock_kind: 'agent' } });
  const first = await exchange(
    grant(alice, {
      subject_token_type: JWT,
      actor_token: agent,
      actor_token_type: JWT,
      scope: 'model:* endpoint:chat',
    }),
  );
  assert.equal(first.status, 200);
  const t1 = first.body.access_token as string;
  assert.deepEqual(jose.decodeJwt(t1).act, { sub: 'agent-7', iss: 'https://idp.corp.internal/realms/main' });
  assert.equal(jose.decodeJwt(t1).sub, 'alice');

  // The agent hands a narrower slice of the same task to a sub-agent.
  const sub = await idpToken({ claims: { sub: 'sub-agent-3', airlock_kind: 'agent' } });
  const second = await exchange(
    grant(t1, { actor_token: sub, actor_token_type: JWT, scope: 'model:small endpoint:chat' }),
  );
  assert.equal(second.status, 200);
  const t2 = second.body.access_token as string;
  assert.deepEqual(jose.decodeJwt(t2).act, {
    sub: 'sub-agent-3',
    iss: 'https://idp.corp.internal/realms/main',
    act: { sub: 'agent-7', iss: 'https://idp.corp.internal/realms/main' },
  });
  const u = await use(t2);
  assert.equal(u.kind, 'authenticated');
  const p = (u as Extract<AuthResult, { kind: 'authenticated' }>).principal as IdentityPrincipal;
  assert.equal(p.id, 'alice');
  assert.equal(p.identity.act?.act?.sub, 'agent-7');

  // A task token cannot hop to another task (revoking the task must reach every descendant),
  // cannot widen its scope, and the chain depth is capped.
  assert.equal(
    (await exchange(grant(t1, { task_id: 'task-2', scope: 'model:small' }))).body.error,
    'invalid_target',
  );
  assert.equal((await exchange(grant(t2, { scope: 'model:large' }))).body.error, 'invalid_scope');
  let t = t2;
  let last = 200;
  for (let i = 0; i < 3 && last === 200; i++) {
    const r = await exchange(grant(t, { actor_token: sub, actor_token_type: JWT, scope: 'model:small' }));
    last = r.status;
    if (r.status === 200) t = r.body.access_token as string;
    else assert.equal(r.body.error, 'invalid_grant');
  }
  assert.equal(last, 400);
});

test('exchange: malformed requests → RFC 6749 §5.2 errors without detail', async () => {
  const key = apiKey('client', ['*'], ['*']);
  const cases: [Record<string, string | string[]>, string][] = [
    [{ ...grant(key), grant_type: 'client_credentials' }, 'unsupported_grant_type'],
    [{ ...grant(key), grant_type: [] as never }, 'invalid_request'],
    [{ ...grant(key), subject_token: [] as never }, 'invalid_request'],
    [{ ...grant(key), subject_token_type: 'urn:x' }, 'invalid_request'],
    [{ ...grant(key), task_id: [] as never }, 'invalid_request'],
    [{ ...grant(key), task_id: 'has space' }, 'invalid_request'],
    [{ ...grant(key), scope: ['model:a', 'model:b'] }, 'invalid_request'], // repeated parameter
    [{ ...grant(key), actor_token: 'x' }, 'invalid_request'], // no actor_token_type
    [{ ...grant(key), expires_in: '-5' }, 'invalid_request'],
    [{ ...grant('alk_wrong') }, 'invalid_grant'],
    [{ ...grant(await idpToken({ claims: { exp: nowSec - 3600, iat: nowSec - 4000 } })) }, 'invalid_grant'],
    [{ ...grant(apiKey('admin', ['*'], ['*'])) }, 'invalid_grant'], // admin keys never mint
    [{ ...grant(key), actor_token: 'eyJhbGciOiJub25lIn0.e30.', actor_token_type: JWT }, 'invalid_grant'],
  ];
  for (const [params, error] of cases) {
    const r = await exchange(params);
    assert.equal(r.status, 400, JSON.stringify(params));
    assert.equal(r.body.error, error, JSON.stringify(params));
    assert.deepEqual(Object.keys(r.body).sort(), ['error', 'error_description']);
  }
  const json = await exchange(grant(key), 'application/json');
  assert.equal(json.body.error, 'invalid_request');
});

test('task token: admin surface, forged signature and foreign alg → rejected', async () => {
  const key = apiKey('client', ['*'], ['*']);
  const token = (await exchange(grant(key))).body.access_token as string;
  const admin = await use(token, 'admin');
  assert.equal(admin.kind === 'reject' && admin.code, 'invalid_token');
  // Same claims and kid, signed by an attacker's Ed25519 key.
  const { kid } = jose.decodeProtectedHeader(token);
  const forged = await new jose.SignJWT(jose.decodeJwt(token))
    .setProtectedHeader({ alg: 'EdDSA', kid: kid!, typ: 'at+jwt' })
    .sign(generateKeyPairSync('ed25519').privateKey);
  assert.equal((await use(forged)).kind, 'reject');
  // An IdP-signed token claiming airlock as issuer is airlock's to judge — and it fails.
  const fake = await idpToken({ claims: { iss: AUDIENCE, task_id: 'task-1', jti: 'x', scope: 'model:*' } });
  assert.equal((await use(fake)).kind, 'reject');
  // Wrong typ (an ID-token-shaped JWT signed by airlock's real key is still refused).
  const cur = await keyring.current();
  const idLike = await new jose.SignJWT({ ...jose.decodeJwt(token) })
    .setProtectedHeader({ alg: 'EdDSA', kid: cur.kid, typ: 'JWT' })
    .sign(cur.privateKey);
  assert.equal((await use(idLike)).kind, 'reject');
});

test('keys: rotation keeps the previous key for verification until its tokens expire', async () => {
  const key = apiKey('client', ['*'], ['*']);
  const before = (await exchange(grant(key))).body.access_token as string;
  const kid1 = jose.decodeProtectedHeader(before).kid;
  clock = NOW + ROTATION_MS + 1;
  const afterRot = (await exchange(grant(key))).body.access_token as string;
  const kid2 = jose.decodeProtectedHeader(afterRot).kid;
  assert.notEqual(kid1, kid2);
  const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [kid1, kid2].sort());
  clock = NOW + ROTATION_MS + MAX_MS + 120_000;
  await keyring.current();
  const later = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  assert.deepEqual(
    later.keys.map((k) => k.kid),
    [kid2],
  );
});

test('jwks: public keys only — no private material', async () => {
  const res = await fetch(`${base}/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  const text = await res.text();
  const doc = JSON.parse(text) as { keys: Record<string, unknown>[] };
  assert.ok(doc.keys.length >= 1);
  for (const k of doc.keys) {
    assert.deepEqual(Object.keys(k).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.equal(k.kty, 'OKP');
  }
  const d = ((await keyring.current()).privateKey.export({ format: 'jwk' }) as { d: string }).d;
  assert.ok(!text.includes(d));
  assert.ok(!text.includes('PRIVATE'));
});
