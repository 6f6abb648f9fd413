// Local users on both drivers: login, TOTP enrolment and replay, lockout and backoff with an injected
// clock, argon2id rehash on login, admin MFA, session expiry and revocation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AirlockError } from '../../src/errors.ts';
import { parsePasswordHash } from '../../src/identity/users/password.ts';
import { codeFor, type UsersFixture, usersFixture } from './users-harness.ts';

const PW = 'correct horse battery staple';
const code = (c: string) => (e: AirlockError) => e.code === c;

for (const driver of ['sqlite', 'postgres'] as const) {
  describe(`users on ${driver}`, () => {
    let f: UsersFixture;
    before(async () => {
      f = await usersFixture(driver);
    });
    after(async () => {
      await f?.close();
    });
    const login = (name: string, password: string, totp?: string, clientAddress = '10.0.0.1') =>
      f.users.login({ name, password, clientAddress, ...(totp !== undefined ? { totp } : {}) });

    test('create, list (no hashes), login with the right password; names are case-insensitive', async () => {
      const u = await f.users.create({ name: 'Alice', role: 'user', password: PW });
      assert.equal(u.name, 'alice');
      assert.equal(u.mfa, 'none');
      const list = await f.users.list();
      assert.ok(!JSON.stringify(list).includes('argon2'));
      const r = await login('ALICE', PW);
      assert.equal(r.kind, 'ok');
      await assert.rejects(f.users.create({ name: 'alice', role: 'user', password: PW }), code('conflict'));
      await assert.rejects(
        f.users.create({ name: 'bob', role: 'user', password: 'short' }),
        code('invalid_request'),
      );
    });

    test('wrong password and unknown user fail the same way', async () => {
      await assert.rejects(login('alice', 'wrong password!!'), code('invalid_credentials'));
      await assert.rejects(login('nobody-here', PW), code('invalid_credentials'));
      await assert.rejects(login('Not A Valid Name!', PW), code('invalid_credentials'));
    });

    test('admin without TOTP gets only an enrolment outcome; enrol; then password + code', async () => {
      const admin = await f.users.create({ name: 'root', role: 'admin', password: PW });
      const first = await login('root', PW, undefined, '10.0.0.2');
      assert.equal(first.kind, 'enroll');
      const enrollment = await f.users.startTotpEnrollment(admin.id);
      assert.match(enrollment.otpauthUri, /^otpauth:\/\/totp\/airlock:root\?secret=[A-Z2-7]+&issuer=airlock/);
      await assert.rejects(f.users.confirmTotp(admin.id, '000000'), code('invalid_credentials'));
      await f.users.confirmTotp(admin.id, codeFor(enrollment.secret, f.clock.now));
      // The seed lives in the vault, not the users table.
      const rows = await f.db.sql('SELECT * FROM users WHERE id = ?', [admin.id]);
      assert.ok(!JSON.stringify(rows).includes(enrollment.secret));
      assert.ok((await f.opened.vault.list()).some((s) => s.name === `airlock.user.${admin.id}.totp`));

      await assert.rejects(login('root', PW, undefined, '10.0.0.2'), code('invalid_credentials'));
      f.clock.now += 30_000;
      const ok = await login('root', PW, codeFor(enrollment.secret, f.clock.now), '10.0.0.2');
      assert.equal(ok.kind, 'ok');
      // Replay of the same code in the same step → refused; so is the previous step's code.
      await assert.rejects(
        login('root', PW, codeFor(enrollment.secret, f.clock.now), '10.0.0.2'),
        code('invalid_credentials'),
      );
      await assert.rejects(
        login('root', PW, codeFor(enrollment.secret, f.clock.now, -1), '10.0.0.2'),
        code('invalid_credentials'),
      );
      // The next step's code (clock skew +1) is fine.
      assert.equal(
        (await login('root', PW, codeFor(enrollment.secret, f.clock.now, 1), '10.0.0.2')).kind,
        'ok',
      );
      await assert.rejects(f.users.startTotpEnrollment(admin.id), code('conflict'));

      await f.users.resetTotp(admin.id, 'test');
      assert.equal((await login('root', PW, undefined, '10.0.0.2')).kind, 'enroll');
    });

    test('lockout per user: exponential backoff with an injected clock; unknown names lock the same way', async () => {
      await f.users.create({ name: 'carol', role: 'user', password: PW });
      const addr = '10.0.1.1';
      for (let i = 0; i < 4; i++)
        await assert.rejects(login('carol', 'nope-nope-nope', undefined, addr), code('invalid_credentials'));
      // 5th failure reaches the threshold: locked for 30 s.
      await assert.rejects(login('carol', 'nope-nope-nope', undefined, addr), code('invalid_credentials'));
      await assert.rejects(
        login('carol', PW, undefined, addr),
        (e: AirlockError) => e.code === 'login_locked' && e.retryAfter === 30,
      );
      f.clock.now += 30_000;
      // 6th failure: 60 s.
      await assert.rejects(login('carol', 'nope-nope-nope', undefined, addr), code('invalid_credentials'));
      await assert.rejects(
        login('carol', PW, undefined, addr),
        (e: AirlockError) => e.code === 'login_locked' && e.retryAfter === 60,
      );
      f.clock.now += 60_000;
      assert.equal((await login('carol', PW, undefined, addr)).kind, 'ok');
      // Success clears the per-user count: the next failure does not lock.
      await assert.rejects(login('carol', 'nope-nope-nope', undefined, addr), code('invalid_credentials'));
      assert.equal((await login('carol', PW, undefined, addr)).kind, 'ok');

      for (let i = 0; i < 5; i++)
        await assert.rejects(
          login('ghost', 'nope-nope-nope', undefined, '10.0.1.2'),
          code('invalid_credentials'),
        );
      await assert.rejects(login('ghost', PW, undefined, '10.0.1.2'), code('login_locked'));
    });

    test('lockout per client address across many names', async () => {
      const addr = '10.0.2.1';
      for (let i = 0; i < 20; i++)
        await assert.rejects(
          login(`spray${i}`, 'nope-nope-nope', undefined, addr),
          code('invalid_credentials'),
        );
      await assert.rejects(login('alice', PW, undefined, addr), code('login_locked'));
      assert.equal((await login('alice', PW, undefined, '10.0.2.2')).kind, 'ok');
    });

    test('argon2id rehash on login when parameters are raised', async () => {
      const u = await f.users.create({ name: 'dave', role: 'user', password: PW });
      const stronger = f.rebuild({ password: { passes: 3 } });
      assert.equal(
        (await stronger.users.login({ name: 'dave', password: PW, clientAddress: '10.0.3.1' })).kind,
        'ok',
      );
      const after = await f.repo.getUser(u.id);
      assert.equal(parsePasswordHash(after!.passwordHash)?.params.passes, 3);
      assert.ok(f.events.some((e) => e.type === 'user.login.rehashed' && e.userId === u.id));
      assert.equal(
        (await stronger.users.login({ name: 'dave', password: PW, clientAddress: '10.0.3.1' })).kind,
        'ok',
      );
    });

    test('sessions: idle and absolute expiry; password change and disable revoke', async () => {
      const u = (await f.users.get('alice'))!;
      const issued = await f.sessions.issue(u, 'full', '10.0.4.1');
      const headers = (extra: Record<string, string> = {}) => ({
        cookie: `__Host-airlock_session=${issued.token}`,
        ...extra,
      });
      assert.equal((await f.sessions.check(headers(), 'GET')).kind, 'valid');
      // Idle: 15 min without use.
      f.clock.now += 14 * 60_000;
      assert.equal((await f.sessions.check(headers(), 'GET')).kind, 'valid');
      f.clock.now += 14 * 60_000;
      assert.equal((await f.sessions.check(headers(), 'GET')).kind, 'valid', 'use resets the idle clock');
      f.clock.now += 15 * 60_000;
      assert.deepEqual(await f.sessions.check(headers(), 'GET'), { kind: 'reject', code: 'invalid_session' });

      // Absolute: 8 h even when used every 10 min.
      const s2 = await f.sessions.issue(u, 'full', '10.0.4.1');
      const h2 = { cookie: `__Host-airlock_session=${s2.token}` };
      for (let i = 0; i < 47; i++) {
        f.clock.now += 10 * 60_000;
        assert.equal((await f.sessions.check(h2, 'GET')).kind, 'valid', `at ${i}`);
      }
      f.clock.now += 10 * 60_000;
      assert.deepEqual(await f.sessions.check(h2, 'GET'), { kind: 'reject', code: 'invalid_session' });

      const s3 = await f.sessions.issue(u, 'full', '10.0.4.1');
      const h3 = { cookie: `__Host-airlock_session=${s3.token}` };
      f.clock.now += 1000;
      await f.users.setPassword(u.id, 'a brand new password', 'test');
      assert.equal((await f.sessions.check(h3, 'GET')).kind, 'reject');
      await assert.rejects(login('alice', PW, undefined, '10.0.4.2'), code('invalid_credentials'));
      assert.equal((await login('alice', 'a brand new password', undefined, '10.0.4.2')).kind, 'ok');

      const s4 = await f.sessions.issue((await f.users.get('alice'))!, 'full', '10.0.4.1');
      await f.users.disable(u.id, 'test');
      assert.equal(
        (await f.sessions.check({ cookie: `__Host-airlock_session=${s4.token}` }, 'GET')).kind,
        'reject',
      );
      await assert.rejects(
        login('alice', 'a brand new password', undefined, '10.0.4.2'),
        code('invalid_credentials'),
      );
    });
  });
}
