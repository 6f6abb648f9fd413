// A users plane over a real database (SQLite file or fresh PostgreSQL) with an injected clock.

import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { type UsersConfig, usersConfigSchema } from '../../src/identity/users/config.ts';
import { registerLoginRoutes } from '../../src/identity/users/login-routes.ts';
import { createUsersPlane, type UsersPlane } from '../../src/identity/users/open-users.ts';
import { base32Decode, hotp, totpStep } from '../../src/identity/users/totp.ts';
import type { UserEvent } from '../../src/identity/users/user-service.ts';
import { type OpenedVault, openVault } from '../../src/secrets/open-vault.ts';
import { vaultConfigSchema } from '../../src/secrets/vault-config.ts';
import { createHarness, type DbHarness } from './vault-harness.ts';

export interface UsersFixture extends UsersPlane {
  readonly db: DbHarness;
  readonly opened: OpenedVault;
  readonly clock: { now: number };
  readonly events: UserEvent[];
  /** Rebuilds the plane with other config over the same database and clock. */
  rebuild(config: unknown): UsersPlane;
  close(): Promise<void>;
}

export async function usersFixture(
  driver: 'sqlite' | 'postgres',
  config: unknown = {},
): Promise<UsersFixture> {
  const db = await createHarness(driver);
  const opened = await openVault(vaultConfigSchema.parse({}), {
    dataDir: db.dataDir,
    env: {},
    store: db.store,
  });
  const clock = { now: Date.UTC(2026, 0, 1) };
  const events: UserEvent[] = [];
  const build = (c: unknown) =>
    createUsersPlane(usersConfigSchema.parse(c) as UsersConfig, {
      connection: opened.connection,
      vault: opened.vault,
      now: () => clock.now,
      onEvent: (e) => {
        events.push(e);
      },
    });
  return {
    ...build(config),
    db,
    opened,
    clock,
    events,
    rebuild: build,
    async close() {
      await opened.close();
      await db.teardown();
    },
  };
}

/** The code an authenticator app shows at `now` for an enrolment's base32 secret, `offset` steps away. */
export function codeFor(secretBase32: string, now: number, offset = 0): string {
  return hotp(base32Decode(secretBase32), totpStep(now) + offset);
}

export const COOKIE =
  /^__Host-airlock_session=(als_[A-Za-z0-9_-]{43}); Path=\/; Max-Age=(\d+); Secure; HttpOnly; SameSite=Strict$/;

export async function routesApp(f: UsersFixture): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  registerLoginRoutes(app, { users: f.users, sessions: f.sessions, requestId: () => 'req_test' });
  // A stand-in for an admin operation behind the pipeline's authenticate stage.
  app.route({
    method: ['GET', 'POST'],
    url: '/admin/v1/whoami',
    handler: async (request, reply) => {
      const r = await f.authenticator.authenticate({
        headers: request.headers,
        surface: (request.query as { surface?: 'client' | 'admin' }).surface ?? 'admin',
        method: request.method,
      } as Parameters<typeof f.authenticator.authenticate>[0]);
      if (r.kind !== 'authenticated') return reply.code(401).send(r);
      return { id: r.principal.id, kind: r.principal.kind, credentialPrefix: r.principal.credentialPrefix };
    },
  });
  await app.ready();
  return app;
}

export function cookieOf(setCookie: string | string[] | number | undefined): string {
  const m = COOKIE.exec(String(setCookie));
  assert.ok(m, `unexpected Set-Cookie: ${String(setCookie)}`);
  return m[1]!;
}
