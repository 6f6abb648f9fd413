// Attacks on step-up (P8) with the real users plane (SQLite, vault, argon2id, TOTP enrolment through
// the real routes), the real step-up route and the admin pipeline. A stolen console session (cookie
// and CSRF token) must not be able to guess its way to a step-up: wrong codes count against the
// user's login throttle, and once locked even the right code is refused until the lock ends.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createAdminRoute } from '../../src/http/admin-route.ts';
import { createAuthenticateStage } from '../../src/http/stages/authenticate.ts';
import { createRecordStage } from '../../src/http/stages/record.ts';
import { createJwtAuthenticator } from '../../src/identity/jwt-authenticator.ts';
import { registerLoginRoutes } from '../../src/identity/users/login-routes.ts';
import { createPolicyAuthorizeStage } from '../../src/policy/authorize-stage.ts';
import { userTotpVerifier } from '../../src/policy/breakglass/user-totp.ts';
import { createCedarDecisionPoint } from '../../src/policy/cedar-decision-point.ts';
import { registerStepUpRoutes } from '../../src/policy/stepup/routes.ts';
import { createStepUpService } from '../../src/policy/stepup/step-up-service.ts';
import { codeFor, cookieOf, type UsersFixture, usersFixture } from '../integration/users-harness.ts';
import { idpKeys, idpToken, issuerConfig, jwksOf, writeJwksFile } from './identity-fixtures.ts';

const POLICIES = `
@id("keys.read.stepped-up")
@stepup("mfa")
permit (principal, action == Airlock::Action::"admin/keys.list", resource);
`;
const PW = 'correct horse battery staple';
const AUDIENCE_OF_TEST = 'https://airlock.corp.internal';

let f: UsersFixture;
let app: FastifyInstance;
let secret: string;

before(async () => {
  f = await usersFixture('sqlite');
  await f.users.create({ name: 'boss', role: 'admin', password: PW });
  const stepUp = createStepUpService({
    verifyTotp: userTotpVerifier({ repo: f.repo, vault: f.opened.vault, now: () => f.clock.now }),
    now: () => f.clock.now,
  });
  const jwt = createJwtAuthenticator(
    {
      audience: AUDIENCE_OF_TEST,
      issuers: [
        issuerConfig({ jwksFile: writeJwksFile(jwksOf([idpKeys().rsa])), adminRoles: ['airlock-admin'] }),
      ],
    },
    { now: () => f.clock.now },
  );
  const pdp = createCedarDecisionPoint({ policies: POLICIES, version: 'stepup-attacks' });
  app = Fastify({ logger: false });
  registerLoginRoutes(app, { users: f.users, sessions: f.sessions, requestId: () => 'req_test' });
  registerStepUpRoutes(app, { sessions: f.sessions, stepUp, requestId: () => 'req_test' });
  const route = createAdminRoute({
    decide: [
      createAuthenticateStage({ authenticators: [f.authenticator, jwt], surface: 'admin' }),
      stepUp.authorize(createPolicyAuthorizeStage({ pdp, surface: 'admin', context: stepUp.context })),
    ],
    record: createRecordStage({
      surface: 'admin',
      sink: { append: async () => ({ index: 0 }), health: () => ({ ok: true }) as never },
    }),
    requestId: () => 'req_test',
  });
  app.get(
    '/admin/v1/keys',
    route('admin.keys.list', async () => ({ status: 200, body: { keys: [] } })),
  );
  await app.ready();
  const login = await app.inject({
    method: 'POST',
    url: '/admin/v1/login',
    payload: { name: 'boss', password: PW },
  });
  const cookie = `__Host-airlock_session=${cookieOf(login.headers['set-cookie'])}`;
  const csrf = login.json().csrfToken as string;
  const headers = { cookie, 'x-csrf-token': csrf };
  secret = (await app.inject({ method: 'POST', url: '/admin/v1/users/me/totp', headers, payload: {} })).json()
    .secret;
  const done = await app.inject({
    method: 'POST',
    url: '/admin/v1/users/me/totp',
    headers,
    payload: { code: codeFor(secret, f.clock.now) },
  });
  assert.equal(done.json().status, 'enrolled');
  f.clock.now += 30_000;
});
after(async () => {
  await app?.close();
  await f?.close();
});

async function session() {
  f.clock.now += 30_000;
  const res = await app.inject({
    method: 'POST',
    url: '/admin/v1/login',
    payload: { name: 'boss', password: PW, totp: codeFor(secret, f.clock.now) },
  });
  assert.equal(res.json().status, 'authenticated');
  f.clock.now += 30_000;
  return {
    cookie: `__Host-airlock_session=${cookieOf(res.headers['set-cookie'])}`,
    csrf: res.json().csrfToken as string,
  };
}
const stepUp = (s: { cookie: string; csrf: string }, code: string) =>
  app.inject({
    method: 'POST',
    url: '/admin/v1/stepup',
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    payload: { code },
  });
const listKeys = (s: { cookie: string }) =>
  app.inject({ method: 'GET', url: '/admin/v1/keys', headers: { cookie: s.cookie } });

/** Codes that are certainly wrong now: none of the codes of the accepted window (±1 step). */
function wrongCodes(n: number): string[] {
  const valid = new Set([-1, 0, 1].map((o) => codeFor(secret, f.clock.now, o)));
  const out: string[] = [];
  for (let o = 5; out.length < n; o++) {
    const c = codeFor(secret, f.clock.now, o);
    if (!valid.has(c) && !out.includes(c)) out.push(c);
  }
  return out;
}

test('a stolen session cannot guess TOTP codes at request rate on POST /admin/v1/stepup', async () => {
  const s = await session();
  const statuses: number[] = [];
  for (const code of wrongCodes(8)) statuses.push((await stepUp(s, code)).statusCode);
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401], 'the first wrong codes are refused');
  assert.ok(
    statuses.slice(5).every((st) => st === 429),
    `after the threshold the route is locked: ${statuses.join(',')}`,
  );
  // While locked the right code is refused too, so guessing gains nothing.
  const locked = await stepUp(s, codeFor(secret, f.clock.now));
  assert.equal(locked.statusCode, 429);
  assert.equal(locked.json().error.code, 'login_locked');
  assert.ok(Number(locked.headers['retry-after']) > 0);
  assert.equal((await listKeys(s)).statusCode, 401, 'no step-up while locked');
  // The lock ends; a fresh code then steps up and clears the count.
  f.clock.now += 31_000;
  assert.equal((await stepUp(s, codeFor(secret, f.clock.now))).statusCode, 200);
  assert.equal((await listKeys(s)).statusCode, 200);
});

test('login attempts and step-up guesses share one budget', async () => {
  const s = await session();
  for (const code of wrongCodes(5)) assert.equal((await stepUp(s, code)).statusCode, 401);
  // A code no one has spent yet (session() moved one step past its login code).
  const login = await app.inject({
    method: 'POST',
    url: '/admin/v1/login',
    payload: { name: 'boss', password: PW, totp: codeFor(secret, f.clock.now) },
  });
  assert.equal(login.statusCode, 429, 'the guesses through step-up locked the login too');
  f.clock.now += 31_000;
  assert.equal((await stepUp(s, codeFor(secret, f.clock.now))).statusCode, 200);
});

test("another credential kind with the session's principal id and credential id never inherits its step-up", async () => {
  const s = await session();
  assert.equal((await stepUp(s, codeFor(secret, f.clock.now))).statusCode, 200);
  assert.equal((await listKeys(s)).statusCode, 200);
  const who = await f.authenticator.authenticate({
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    surface: 'admin',
  });
  assert.equal(who.kind, 'authenticated');
  const sessionId = who.kind === 'authenticated' ? who.principal.credentialId : '';
  // An IdP token whose sub is the local user's name and whose jti is that session's id.
  const t = Math.floor(f.clock.now / 1000);
  const token = await idpToken({
    claims: { sub: 'boss', jti: sessionId, roles: ['airlock-admin'], iat: t, nbf: t, exp: t + 300 },
  });
  const res = await app.inject({
    method: 'GET',
    url: '/admin/v1/keys',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.statusCode, 401, 'only the console session itself is stepped up');
  assert.equal(res.json().error.code, 'step_up_required');
  assert.match(res.json().error.message, /interactive user/);
});
