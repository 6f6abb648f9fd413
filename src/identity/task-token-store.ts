// Where task-token state lives under `airlock serve`: revocations in the store's database and signing
// keys in the vault, over the side connection the vault and users share. Replicas on one PostgreSQL
// database therefore verify each other's tokens and refuse each other's revoked tasks. The last use
// of IdP subjects and mTLS workloads (for `airlock doctor`) travels the same way.
import type { SideConnection } from '../secrets/side-connection.ts';
import type { Vault } from '../secrets/vault.ts';
import { type LastSeenStore, lastSeenStoreFor } from './last-seen-store.ts';
import type { RevocationStore } from './revocation-store.ts';
import { createPostgresRevocationStore } from './revocation-store-postgres.ts';
import { createSqliteRevocationStore } from './revocation-store-sqlite.ts';
import { vaultSigningKeyStore } from './token-signing-key-stores.ts';
import type { SigningKeyStore } from './token-signing-keys.ts';

export interface TaskTokenStore {
  readonly revocations: RevocationStore;
  readonly signingKeys: SigningKeyStore;
  /** Last use of IdP JWT subjects and mTLS workloads; without it (a gateway built alone) untracked. */
  readonly lastSeen?: LastSeenStore;
}

export function createTaskTokenStore(deps: {
  readonly connection: SideConnection;
  readonly vault: Vault;
}): TaskTokenStore {
  return {
    revocations: revocationStoreFor(deps.connection),
    signingKeys: vaultSigningKeyStore(deps.vault),
    lastSeen: lastSeenStoreFor(deps.connection),
  };
}

/** Revocations over a side connection to the store (the gateway and `airlock tasks`). */
export function revocationStoreFor(c: SideConnection): RevocationStore {
  return c.driver === 'sqlite' ? createSqliteRevocationStore(c.db) : createPostgresRevocationStore(c);
}
