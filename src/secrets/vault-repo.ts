// Persistence contract for the vault (tables from migration 0002_vault_users). One implementation per
// driver (vault-repo-sqlite.ts, vault-repo-postgres.ts), one contract suite for both.
//
// Contract:
// - Rows hold ciphertext, nonces and wrapped keys only; nothing here ever sees a plaintext value or
//   the master key.
// - insertNext MUST compute the next version and insert it atomically, and MUST refuse (stale_key)
//   when the stored key check differs from the caller's: a replica whose master key was rotated away
//   must not write rows the others cannot unwrap.
// - rewrap MUST replace every live wrapped key and the meta row in one transaction.
// - retire MUST crypto-shred the version (wrapped key and ciphertext emptied), not just flag it.
// - Times are epoch milliseconds. Unreachable database → AirlockError('store_unavailable').
import type { EnvelopeRow } from './envelope.ts';
import type { MasterKeyDescriptor } from './master-key.ts';

export interface VaultMeta {
  readonly kdf: MasterKeyDescriptor;
  readonly keyCheck: string;
  readonly updatedAt: number;
}

export interface VaultVersionInfo {
  readonly name: string;
  readonly version: number;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

export type InsertResult =
  | { readonly kind: 'ok'; readonly version: number }
  | { readonly kind: 'exists' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'stale_key' };

export interface VaultRepo {
  getMeta(): Promise<VaultMeta | undefined>;
  /** Inserts the meta row unless one exists; returns the stored row (the winner of a race). */
  initMeta(meta: VaultMeta): Promise<VaultMeta>;
  /** mode 'create': only when no version of `name` exists; 'rotate': only when one does. `build` runs
   *  inside the transaction with the version number it must bind into the AAD. */
  insertNext(
    name: string,
    mode: 'create' | 'rotate',
    keyCheck: string,
    at: number,
    build: (version: number) => EnvelopeRow,
  ): Promise<InsertResult>;
  /** The given version, or the newest live one; undefined when missing or retired. */
  read(name: string, version?: number): Promise<(EnvelopeRow & { version: number }) | undefined>;
  /** Every live (not retired) version's newest row per name. */
  readCurrent(): Promise<(EnvelopeRow & { name: string; version: number })[]>;
  list(): Promise<VaultVersionInfo[]>;
  retire(name: string, version: number, at: number): Promise<boolean>;
  /** Deletes every version; returns how many rows went. */
  remove(name: string): Promise<number>;
  /** false (nothing changed) when the stored key check is not `fromCheck`. */
  rewrap(
    fromCheck: string,
    to: VaultMeta,
    fn: (
      name: string,
      version: number,
      row: Pick<EnvelopeRow, 'wrapNonce' | 'wrappedKey'>,
    ) => Pick<EnvelopeRow, 'wrapNonce' | 'wrappedKey'>,
  ): Promise<number | false>;
  ping(): Promise<boolean>;
}
