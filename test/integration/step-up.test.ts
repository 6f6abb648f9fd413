// Step-up (P8) end to end on the admin listener's real parts: a local admin with TOTP logs in (real
// SQLite users plane and vault), an admin action whose policy says @stepup("mfa") is refused with
// step_up_required naming how to step up; POST /admin/v1/stepup with a fresh code steps the session
// up (a replayed code is refused), after which the same action is allowed and its audit entry says it
// was stepped up. The marker is bound to the session, expires after its TTL, and a policy's @ttl
// bounds its age.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AuditEvent } from '../../src/evidence/types.ts';
import { createAdminRoute } from '../../src/http/admin-route.ts';
import { createAuthenticateStage } from '../../src/http/stages/authenticate.ts';
import { createRecordStage } from '../../src/http/stages/record.ts';
import { registerLoginRoutes } from '../../src/identity/users/login-routes.ts';
import { createPolicyAuthorizeStage } from '../../src/policy/authorize-stage.ts';
import { userTotpVerifier } from '../../src/policy/breakglass/user-totp.ts';
import { createCedarDecisionPoint } from '../../src/policy/cedar-decision-point.ts';
import { registerStepUpRoutes } from '../../src/policy/stepup/routes.ts';
import { createStepUpService, type StepUpEvent } from '../../src/policy/stepup/step-up-service.ts';
import { codeFor, cookieOf, type UsersFixture, usersFixture } from './users-harness.ts';

const POLICIES = `
@id("keys.read.stepped-up")
@stepup("mfa")
permit (principal is Airlock::ServiceAccount, action == Airlock::Action::"admin/keys.list", resource)
when { principal.kind == "admin" };

@id("keys.fresh-mfa")
@stepup("mfa")
@ttl("2m")
permit (principal is Airlock::ServiceAccount, action == Airlock::Action::"admin/keys.revoke", resource)
when { principal.kind == "admin" };
`;
const PW = 'correct horse battery staple';

describe('step-up: console session + fresh TOTP → the same admin action is allowed', () => {
  let f: UsersFixture;
  let app: FastifyInstance;
  let secret: string;
  const audit: AuditEvent[] = [];
  const events: StepUpEvent[] = [];

  before(async () => {
    f = await usersFixture('sqlite');
    await f.users.create({ name: 'boss', role: 'admin', password: PW });
    const stepUp = createStepUpService({
      verifyTotp: userTotpVerifier({ repo: f.repo, vault: f.opened.vault, now: () => f.clock.now }),
      now: () => f.clock.now,
      onEvent: (e) => events.push(e),
    });
    const pdp = createCedarDecisionPoint({ policies: POLICIES, version: 'stepup-test' });
    app = Fastify({ logger: false });
    registerLoginRoutes(app, { users: f.users, sessions: f.sessions, requestId: () => 'req_test' });
    registerStepUpRoutes(app, { sessions: f.sessions, stepUp, requestId: () => 'req_test' });
    const route = createAdminRoute({
      decide: [
        createAuthenticateStage({ authenticators: [f.authenticator], surface: 'admin' }),
        stepUp.authorize(createPolicyAuthorizeStage({ pdp, surface: 'admin', context: stepUp.context })),
      ],
      record: createRecordStage({
        surface: 'admin',
        sink: {
          append: async (e) => {
            audit.push(e);
            return { index: audit.length - 1 };
          },
          health: () => ({ ok: true }) as never,
        },
      }),
      requestId: () => `req_${audit.length}`,
    });
    app.get(
      '/admin/v1/keys',
      route('admin.keys.list', async () => ({ status: 200, body: { keys: [] } })),
    );
    app.post(
      '/admin/v1/keys/revoke',
      route('admin.keys.revoke', async () => ({ status: 200, body: { revoked: true } })),
    );
    await app.ready();

    // Enrol TOTP through the real routes, as an operator would.
    const login = await app.inject({
      method: 'POST',
      url: '/admin/v1/login',
      payload: { name: 'boss', password: PW },
    });
    const cookie = `__Host-airlock_session=${cookieOf(login.headers['set-cookie'])}`;
    const csrf = login.json().csrfToken as string;
    const start = await app.inject({
      method: 'POST',
      url: '/admin/v1/users/me/totp',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: {},
    });
    secret = start.json().secret;
    const done = await app.inject({
      method: 'POST',
      url: '/admin/v1/users/me/totp',
      headers: { cookie, 'x-csrf-token': csrf },
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
    f.clock.now += 30_000; // a TOTP step no earlier test has spent
    const code = codeFor(secret, f.clock.now);
    const res = await app.inject({
      method: 'POST',
      url: '/admin/v1/login',
      payload: { name: 'boss', password: PW, totp: code },
    });
    assert.equal(res.json().status, 'authenticated');
    f.clock.now += 30_000; // the next TOTP step
    return {
      code,
      cookie: `__Host-airlock_session=${cookieOf(res.headers['set-cookie'])}`,
      csrf: res.json().csrfToken as string,
    };
  }
  const stepUp = (s: { cookie: string; csrf: string }, payload: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: '/admin/v1/stepup',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
      payload,
    });
  const listKeys = (s: { cookie: string }) =>
    app.inject({ method: 'GET', url: '/admin/v1/keys', headers: { cookie: s.cookie } });

  test('refused with step_up_required naming the route; replayed codes refused; then allowed and audited', async () => {
    const s = await session();
    const before = await listKeys(s);
    assert.equal(before.statusCode, 401);
    assert.equal(before.json().error.code, 'step_up_required');
    assert.match(before.json().error.message, /POST \/admin\/v1\/stepup/);
    const denied = audit.at(-1)!;
    assert.equal(denied.outcome, 'deny');

    // The code already spent at login is a replay.
    const replay = await stepUp(s, { code: s.code });
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, 'step_up_required');
    assert.match(replay.json().error.message, /already used/);
    assert.equal((await listKeys(s)).statusCode, 401);

    const fresh = codeFor(secret, f.clock.now);
    const ok = await stepUp(s, { code: fresh });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().status, 'stepped_up');
    assert.deepEqual(ok.json().factors, ['mfa']);
    assert.equal(Date.parse(ok.json().expiresAt), f.clock.now + 10 * 60_000);
    // The same fresh code a second time: refused (RFC 6238 §5.2, one use per step).
    assert.equal((await stepUp(s, { code: fresh })).statusCode, 401);

    const after = await listKeys(s);
    assert.equal(after.statusCode, 200);
    // The decision trail is in request.authorized (appended before the operation runs).
    const entry = audit.findLast((e) => e.type === 'request.authorized')!;
    assert.equal(entry.outcome, 'allow');
    const trail = JSON.stringify(entry);
    assert.match(trail, /"steppedUp":true/);
    assert.match(trail, /keys\.read\.stepped-up/);
    assert.ok(!trail.includes(fresh), 'the TOTP code never reaches the audit entry');
    assert.deepEqual(
      events.map((e) => e.type),
      ['stepup.refused', 'stepup.completed', 'stepup.refused'],
    );
  });

  test('bound to the session: another session of the same user must step up itself', async () => {
    const a = await session();
    assert.equal((await stepUp(a, { code: codeFor(secret, f.clock.now) })).statusCode, 200);
    assert.equal((await listKeys(a)).statusCode, 200);
    const b = await session();
    assert.equal((await listKeys(b)).statusCode, 401);
  });

  test('expires: a 1m step-up ends after a minute; ttl over 15 minutes refused', async () => {
    const s = await session();
    const long = await stepUp(s, { code: codeFor(secret, f.clock.now), ttl: '16m' });
    assert.equal(long.statusCode, 400);
    assert.equal(long.json().error.code, 'invalid_request');
    assert.equal((await stepUp(s, { code: codeFor(secret, f.clock.now), ttl: '1m' })).statusCode, 200);
    assert.equal((await listKeys(s)).statusCode, 200);
    f.clock.now += 60_000;
    assert.equal((await listKeys(s)).statusCode, 401);
  });

  test("@ttl on the policy bounds the step-up's age", async () => {
    const s = await session();
    assert.equal((await stepUp(s, { code: codeFor(secret, f.clock.now) })).statusCode, 200);
    const revoke = () =>
      app.inject({
        method: 'POST',
        url: '/admin/v1/keys/revoke',
        headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
        payload: {},
      });
    assert.equal((await revoke()).statusCode, 200);
    f.clock.now += 3 * 60_000;
    // Still inside the 10-minute marker, but older than the policy's 2 minutes.
    assert.equal((await listKeys(s)).statusCode, 200);
    const stale = await revoke();
    assert.equal(stale.statusCode, 401);
    assert.equal(stale.json().error.code, 'step_up_required');
  });

  test('without a session: invalid_session; a wrong code: refused', async () => {
    const none = await app.inject({ method: 'POST', url: '/admin/v1/stepup', payload: { code: '123456' } });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error.code, 'invalid_session');
    const s = await session();
    const wrong = await stepUp(s, { code: '000000' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.code, 'step_up_required');
  });
});
