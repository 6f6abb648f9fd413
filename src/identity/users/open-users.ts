// Builds the users plane over the vault's side connection: repo, service, session manager and the
// session authenticator. The composition root calls this once; nothing here is a singleton.
import type { SideConnection } from '../../secrets/side-connection.ts';
import type { Vault } from '../../secrets/vault.ts';
import type { Authenticator } from '../types.ts';
import type { UsersConfig } from './config.ts';
import { createPostgresUserRepo } from './postgres-user-repo.ts';
import { createSessionAuthenticator, type SessionAuthenticatorDeps } from './session-authenticator.ts';
import { createSessionManager, type SessionManager } from './session-manager.ts';
import { createSqliteUserRepo } from './sqlite-user-repo.ts';
import type { UserRepo } from './user-repo.ts';
import { createUserService, type UserEvent, type UserService } from './user-service.ts';

export function userRepoFor(conn: SideConnection): UserRepo {
  return conn.driver === 'sqlite' ? createSqliteUserRepo(conn.db) : createPostgresUserRepo(conn);
}

export interface UsersPlane {
  readonly repo: UserRepo;
  readonly users: UserService;
  readonly sessions: SessionManager;
  readonly authenticator: Authenticator;
}

export function createUsersPlane(
  config: UsersConfig,
  deps: {
    connection: SideConnection;
    vault: Vault;
    now?: () => number;
    onEvent?: (e: UserEvent) => void | Promise<void>;
    userScopes?: SessionAuthenticatorDeps['userScopes'];
  },
): UsersPlane {
  const repo = userRepoFor(deps.connection);
  const now = deps.now ? { now: deps.now } : {};
  const users = createUserService(config, {
    repo,
    vault: deps.vault,
    ...now,
    ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
  });
  const sessions = createSessionManager(config.session, { repo, ...now });
  const authenticator = createSessionAuthenticator({
    sessions,
    ...(deps.userScopes ? { userScopes: deps.userScopes } : {}),
  });
  return { repo, users, sessions, authenticator };
}
