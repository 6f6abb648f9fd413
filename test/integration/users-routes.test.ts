// Login routes on a Fastify app: cookie attributes, admin enrolment through the API, logout, and the
// session authenticator behind them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { codeFor, cookieOf, routesApp, type UsersFixture, usersFixture } from './users-harness.ts';

const PW = 'correct horse battery staple';

import { COOKIE } from './users-harness.ts';

describe('login routes (sqlite)', () => {
  let f: UsersFixture;
  let app: FastifyInstance;
  before(async () => {
    f = await usersFixture('sqlite');
    app = await routesApp(f);
    await f.users.create({ name: 'erin', role: 'user', password: PW });
    await f.users.create({ name: 'boss', role: 'admin', password: PW });
  });
  after(async () => {
    await app?.close();
    await f?.close();
  });

  test('login sets exactly one __Host- cookie: Path=/, Max-Age, Secure, HttpOnly, SameSite=Strict, no Domain', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/admin/v1/login',
      payload: { name: 'erin', password: PW },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const setCookie = res.headers['set-cookie'];
    assert.equal(typeof setCookie, 'string');
    const m = COOKIE.exec(String(setCookie));
    assert.ok(m);
    assert.equal(m[2], String(8 * 3600));
    assert.doesNotMatch(String(setCookie), /Domain/i);
    const body = res.json();
    assert.equal(body.status, 'authenticated');
    assert.equal(body.user.name, 'erin');
    assert.match(body.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!JSON.stringify(body).includes(m[1]!), 'the token is only in the cookie');
  });

  test('admin: password alone gives an enrolment-only session; enrol via the API; then a full admin session', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/admin/v1/login',
      payload: { name: 'boss', password: PW },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, 'mfa_enrollment_required');
    const enrollToken = cookieOf(res.headers['set-cookie']);
    const csrf = res.json().csrfToken as string;
    const cookie = `__Host-airlock_session=${enrollToken}`;

    const who = await app.inject({ method: 'GET', url: '/admin/v1/whoami', headers: { cookie } });
    assert.equal(who.statusCode, 401);
    assert.equal(who.json().code, 'mfa_enrollment_required');

    const start = await app.inject({
      method: 'POST',
      url: '/admin/v1/users/me/totp',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: {},
    });
    assert.equal(start.statusCode, 200);
    const { otpauthUri, secret } = start.json();
    assert.match(otpauthUri, /^otpauth:\/\/totp\/airlock:boss\?/);

    const bad = await app.inject({
      method: 'POST',
      url: '/admin/v1/users/me/totp',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { code: '000000' },
    });
    assert.equal(bad.statusCode, 401);

    const done = await app.inject({
      method: 'POST',
      url: '/admin/v1/users/me/totp',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { code: codeFor(secret, f.clock.now) },
    });
    assert.equal(done.statusCode, 200);
    assert.equal(done.json().status, 'enrolled');
    const fullToken = cookieOf(done.headers['set-cookie']);
    assert.notEqual(fullToken, enrollToken, 'enrolment issues a new session id');
    const old = await app.inject({ method: 'GET', url: '/admin/v1/whoami', headers: { cookie } });
    assert.equal(old.json().code, 'invalid_session');
    const now = await app.inject({
      method: 'GET',
      url: '/admin/v1/whoami',
      headers: { cookie: `__Host-airlock_session=${fullToken}` },
    });
    assert.deepEqual(now.json(), { id: 'boss', kind: 'admin', credentialPrefix: 'session' });

    f.clock.now += 30_000;
    const next = await app.inject({
      method: 'POST',
      url: '/admin/v1/login',
      payload: { name: 'boss', password: PW, totp: codeFor(secret, f.clock.now) },
    });
    assert.equal(next.json().status, 'authenticated');
  });

  test('a user session does not open the admin surface', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/admin/v1/login',
      payload: { name: 'erin', password: PW },
    });
    const cookie = `__Host-airlock_session=${cookieOf(res.headers['set-cookie'])}`;
    const who = await app.inject({ method: 'GET', url: '/admin/v1/whoami', headers: { cookie } });
    assert.equal(who.json().code, 'admin_forbidden');
  });

  test('logout revokes the session and clears the cookie', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/admin/v1/login',
      payload: { name: 'erin', password: PW },
    });
    const cookie = `__Host-airlock_session=${cookieOf(res.headers['set-cookie'])}`;
    const out = await app.inject({
      method: 'POST',
      url: '/admin/v1/logout',
      headers: { cookie, 'x-csrf-token': res.json().csrfToken },
    });
    assert.equal(out.statusCode, 204);
    assert.equal(
      out.headers['set-cookie'],
      '__Host-airlock_session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict',
    );
    const again = await app.inject({
      method: 'POST',
      url: '/admin/v1/logout',
      headers: { cookie, 'x-csrf-token': res.json().csrfToken },
    });
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().error.code, 'invalid_session');
  });

  test('locked out → 429 with Retry-After', async () => {
    for (let i = 0; i < 5; i++)
      await app.inject({
        method: 'POST',
        url: '/admin/v1/login',
        payload: { name: 'lockme', password: 'x' },
      });
    const res = await app.inject({
      method: 'POST',
      url: '/admin/v1/login',
      payload: { name: 'lockme', password: 'x' },
    });
    assert.equal(res.statusCode, 429);
    assert.equal(res.headers['retry-after'], '30');
    assert.equal(res.json().error.code, 'login_locked');
  });
});
