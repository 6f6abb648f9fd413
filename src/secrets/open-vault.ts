// Opens the vault at start-up: obtains the master key from its configured source, initialises the meta
// row on first use and checks the key against it. A wrong key never reaches a decryption.
import { isAbsolute, resolve } from 'node:path';
import { AirlockError } from '../errors.ts';
import type { StoreConfig } from '../store/open-store.ts';
import { sameKeyCheck } from './envelope.ts';
import {
  deriveMasterKey,
  loadMasterKeyFile,
  type MasterKey,
  newArgon2Descriptor,
  readPassphrase,
} from './master-key.ts';
import { openSideConnection, type SideConnection } from './side-connection.ts';
import { createVault, unavailableVault, type Vault } from './vault.ts';
import type { VaultConfig } from './vault-config.ts';
import type { VaultRepo } from './vault-repo.ts';
import { createPostgresVaultRepo } from './vault-repo-postgres.ts';
import { createSqliteVaultRepo } from './vault-repo-sqlite.ts';

export function vaultRepoFor(conn: SideConnection): VaultRepo {
  return conn.driver === 'sqlite' ? createSqliteVaultRepo(conn.db) : createPostgresVaultRepo(conn);
}

export interface MasterKeyDeps {
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Obtains the configured master key and checks (or, for an empty vault, records) it in the meta row. */
export async function resolveMasterKey(
  repo: VaultRepo,
  config: VaultConfig,
  deps: MasterKeyDeps,
): Promise<MasterKey> {
  const meta = await repo.getMeta().catch(toVaultError);
  const mk = config.masterKey;
  let key: MasterKey;
  if (mk.kind === 'file') {
    if (meta && meta.kdf.kind !== 'file')
      throw new AirlockError('vault_unavailable', {
        detail: 'this vault was initialised with a passphrase-derived key, but vault.masterKey.kind is file',
      });
    const path = isAbsolute(mk.path) ? mk.path : resolve(deps.dataDir, mk.path);
    key = loadMasterKeyFile(path, { create: meta === undefined });
  } else {
    if (meta && meta.kdf.kind !== 'argon2id')
      throw new AirlockError('vault_unavailable', {
        detail: 'this vault was initialised with a master key file, but vault.masterKey.kind is passphrase',
      });
    const passphrase = readPassphrase(mk.fd === undefined ? { env: mk.env } : { fd: mk.fd }, deps.env);
    try {
      const descriptor =
        meta?.kdf ??
        newArgon2Descriptor({
          memory: mk.kdf.memoryKiB,
          passes: mk.kdf.passes,
          parallelism: mk.kdf.parallelism,
        });
      key = await deriveMasterKey(passphrase, descriptor);
      if (!meta) {
        const stored = await repo
          .initMeta({ kdf: key.descriptor, keyCheck: key.check, updatedAt: Date.now() })
          .catch(toVaultError);
        // Another replica initialised first with its own salt: derive again with the stored one.
        if (!sameKeyCheck(stored.keyCheck, key.check)) key = await deriveMasterKey(passphrase, stored.kdf);
        return checkAgainst(stored.keyCheck, key);
      }
    } finally {
      passphrase.fill(0);
    }
  }
  if (!meta) {
    const stored = await repo
      .initMeta({ kdf: key.descriptor, keyCheck: key.check, updatedAt: Date.now() })
      .catch(toVaultError);
    return checkAgainst(stored.keyCheck, key);
  }
  return checkAgainst(meta.keyCheck, key);
}

function checkAgainst(stored: string, key: MasterKey): MasterKey {
  if (sameKeyCheck(stored, key.check)) return key;
  key.destroy();
  throw new AirlockError('vault_unavailable', {
    detail: 'the master key does not match this vault (wrong passphrase or key file)',
  });
}

function toVaultError(err: unknown): never {
  if (err instanceof AirlockError && err.code === 'store_unavailable')
    throw new AirlockError('vault_unavailable', { detail: `vault: ${err.detail ?? 'store unavailable'}` });
  throw err;
}

export interface OpenedVault {
  readonly vault: Vault;
  readonly connection: SideConnection;
  close(): Promise<void>;
}

/**
 * Opens the vault over its own connection to the (already migrated) store. With `tolerateUnavailable`
 * (the gateway), a key problem yields a vault that refuses everything and reports the reason to
 * /readyz; without it (the CLI), it throws vault_unavailable.
 */
export async function openVault(
  config: VaultConfig,
  deps: MasterKeyDeps & { store: StoreConfig; tolerateUnavailable?: boolean; now?: () => number },
): Promise<OpenedVault> {
  const connection = await openSideConnection(deps.store, { dataDir: deps.dataDir }).catch(toVaultError);
  const repo = vaultRepoFor(connection);
  let vault: Vault;
  try {
    const masterKey = await resolveMasterKey(repo, config, deps);
    vault = createVault({ repo, masterKey, ...(deps.now ? { now: deps.now } : {}) });
  } catch (err) {
    if (!deps.tolerateUnavailable || !(err instanceof AirlockError) || err.code !== 'vault_unavailable') {
      await connection.close();
      throw err;
    }
    vault = unavailableVault(err.detail ?? 'vault unavailable');
  }
  return { vault, connection, close: () => connection.close() };
}
