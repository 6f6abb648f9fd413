// A users plane over a real database (SQLite file or fresh PostgreSQL) with an injected clock.

import { type UsersConfig, usersConfigSchema } from '../../src/identity/users/config.ts';
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
