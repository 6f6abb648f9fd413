// Attacks on local login and sessions: user enumeration, CSRF, TOTP replay through the API, session
// fixation, forged / duplicated / tampered cookies, and revocation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import {
  codeFor,
  cookieOf,
  routesApp,
  type UsersFixture,
  usersFixture,
} from '../integration/users-harness.ts';

const PW = 'correct horse battery staple';

describe('users attacks (sqlite)', () => {
  let f: UsersFixture;
  let app: FastifyInstance;
  let totpSecret = '';
  before(async () => {
    f = await usersFixture('sqlite');
    app = await routesApp(f);
    await f.users.create({ name: 'victim', role: 'user', password: PW });
    const admin = await f.users.create({ name: 'admin', role: 'admin', password: PW });
    totpSecret = (await f.users.startTotpEnrollment(admin.id)).secret;
    await f.users.confirmTotp(admin.id, codeFor(totpSecret, f.clock.now));
    f.clock.now += 60_000;
  });
  after(async () => {
    await app?.close();
    await f?.close();
  });

  const login = (payload: Record<string, string>, ip = '10.9.0.1') =>
    app.inject({ method: 'POST', url: '/admin/v1/login', payload, remoteAddress: ip });

  const session = async (name = 'victim') => {
    const res = await login({ name, password: PW }, '10.9.9.9');
    return { token: cookieOf(res.headers['set-cookie']), csrf: res.json().csrfToken as string };
  };

  test('no enumeration: unknown user, wrong password, disabled user, admin with wrong code — one response', async () => {
    const shape = (r: Awaited<ReturnType<typeof login>>) => ({
      status: r.statusCode,
      body: r.body,
      cookie: r.headers['set-cookie'] ?? null,
      retry: r.headers['retry-after'] ?? null,
    });
    const unknown = shape(await login({ name: 'no-such-user', password: PW }, '10.9.0.2'));
    const wrong = shape(await login({ name: 'victim', password: `${PW}!` }, '10.9.0.3'));
    const gone = await f.users.create({ name: 'gone', role: 'user', password: PW });
    await f.users.disable(gone.id, 'test');
    const disabled = shape(await login({ name: 'gone', password: PW }, '10.9.0.7'));
    const adminNoCode = shape(await login({ name: 'admin', password: PW }, '10.9.0.4'));
    const adminBadCode = shape(await login({ name: 'admin', password: PW, totp: '123456' }, '10.9.0.5'));
    const adminWrongPw = shape(
      await login(
        { name: 'admin', password: 'nope nope nope', totp: codeFor(totpSecret, f.clock.now) },
        '10.9.0.6',
      ),
    );
    assert.equal(unknown.status, 401);
    assert.deepEqual(JSON.parse(unknown.body), {
      error: { code: 'invalid_credentials', message: 'Invalid credentials.', requestId: 'req_test' },
    });
    for (const other of [wrong, disabled, adminNoCode, adminBadCode, adminWrongPw])
      assert.deepEqual(other, unknown);
    // The failure events never carry the attempted name (it may be a mistyped password).
    assert.ok(f.events.filter((e) => e.type === 'user.login.failed').every((e) => !('name' in e)));
  });

  test('TOTP replay through the API: the same code twice → second refused', async () => {
    f.clock.now += 30_000;
    const code = codeFor(totpSecret, f.clock.now);
    assert.equal((await login({ name: 'admin', password: PW, totp: code }, '10.9.1.1')).statusCode, 200);
    const replay = await login({ name: 'admin', password: PW, totp: code }, '10.9.1.2');
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, 'invalid_credentials');
  });

  test('CSRF: missing, wrong, or another session’s token → 403; GET needs none', async () => {
    const a = await session();
    const b = await session();
    const cookie = `__Host-airlock_session=${a.token}`;
    const post = (headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/admin/v1/whoami?surface=client', headers: { cookie, ...headers } });
    for (const headers of [
      {} as Record<string, string>,
      { 'x-csrf-token': 'x'.repeat(43) },
      { 'x-csrf-token': b.csrf },
      { 'x-csrf-token': '' },
    ]) {
      const r = await post(headers);
      assert.equal(r.statusCode, 401);
      assert.equal(r.json().code, 'csrf_failed', JSON.stringify(headers));
    }
    assert.equal((await post({ 'x-csrf-token': a.csrf })).statusCode, 200);
    const get = await app.inject({
      method: 'GET',
      url: '/admin/v1/whoami?surface=client',
      headers: { cookie },
    });
    assert.equal(get.statusCode, 200);
    assert.equal(get.json().kind, 'client');
    // Logout without CSRF neither logs out nor clears the cookie.
    const out = await app.inject({ method: 'POST', url: '/admin/v1/logout', headers: { cookie } });
    assert.equal(out.statusCode, 403);
    assert.equal(out.headers['set-cookie'], undefined);
    const enrol = await app.inject({
      method: 'POST',
      url: '/admin/v1/users/me/totp',
      headers: { cookie },
      payload: {},
    });
    assert.equal(enrol.statusCode, 403);
  });

  test('session fixation: logging in with a session cookie ends it and issues a new one', async () => {
    const a = await session();
    const res = await app.inject({
      method: 'POST',
      url: '/admin/v1/login',
      headers: { cookie: `__Host-airlock_session=${a.token}` },
      payload: { name: 'victim', password: PW },
      remoteAddress: '10.9.9.9',
    });
    const fresh = cookieOf(res.headers['set-cookie']);
    assert.notEqual(fresh, a.token);
    const old = await f.sessions.check({ cookie: `__Host-airlock_session=${a.token}` }, 'GET');
    assert.deepEqual(old, { kind: 'reject', code: 'invalid_session' });
  });

  test('forged, tampered, duplicated or non-__Host- cookies are refused', async () => {
    const a = await session();
    const flipped = `${a.token.slice(0, -1)}${a.token.endsWith('A') ? 'B' : 'A'}`;
    const cases: [string, string][] = [
      [`__Host-airlock_session=${flipped}`, 'invalid_session'],
      ['__Host-airlock_session=als_short', 'invalid_session'],
      [`__Host-airlock_session=${a.token}; __Host-airlock_session=${a.token}`, 'invalid_session'],
    ];
    for (const [cookie, code] of cases) {
      const r = await f.sessions.check({ cookie }, 'GET');
      assert.deepEqual(r, { kind: 'reject', code }, cookie);
    }
    // A cookie without the prefix is not ours at all.
    assert.deepEqual(await f.sessions.check({ cookie: `airlock_session=${a.token}` }, 'GET'), {
      kind: 'none',
    });
  });

  test('tokens are stored hashed; the database never holds a usable token', async () => {
    const a = await session();
    const rows = await f.db.sql('SELECT * FROM user_sessions');
    assert.ok(!JSON.stringify(rows).includes(a.token));
    assert.ok(!JSON.stringify(rows).includes(a.csrf));
  });

  test('password change revokes every session of the user', async () => {
    const a = await session();
    const b = await session();
    const u = (await f.users.get('victim'))!;
    f.clock.now += 1000;
    await f.users.setPassword(u.id, 'another long password', 'test');
    for (const s of [a, b])
      assert.equal(
        (await f.sessions.check({ cookie: `__Host-airlock_session=${s.token}` }, 'GET')).kind,
        'reject',
      );
  });
});
