// The secret vault (P5): provider and tool credentials, TOTP seeds and other server secrets, stored as
// ciphertext only, each version under its own data key wrapped by a master key kept outside the
// database (envelope.ts, master-key.ts). Fail closed: a missing or wrong master key, an unreachable
// database or a row that fails its integrity check is AirlockError('vault_unavailable'), and
// status() gives /readyz the one-line reason. Values are never logged; the vault object prints as
// `[Vault]`.
import { inspect } from 'node:util';
import { AirlockError } from '../errors.ts';
import { decryptValue, encryptValue, rewrapKey, sameKeyCheck } from './envelope.ts';
import type { MasterKey } from './master-key.ts';
import type { VaultRepo } from './vault-repo.ts';

export interface SecretVersionInfo {
  readonly version: number;
  readonly createdAt: string;
  readonly retiredAt: string | null;
}

export interface SecretInfo {
  readonly name: string;
  /** Newest live version (what get() returns); null when every version is retired. */
  readonly current: number | null;
  readonly versions: readonly SecretVersionInfo[];
}

export type VaultEvent =
  | { readonly type: 'secret.created' | 'secret.rotated'; readonly name: string; readonly version: number }
  | { readonly type: 'secret.retired'; readonly name: string; readonly version: number }
  | { readonly type: 'secret.deleted'; readonly name: string; readonly versions: number }
  | { readonly type: 'vault.rewrapped'; readonly secrets: number };

export interface Vault {
  /** Creates a secret (version 1); conflict when the name exists (use rotate). */
  put(name: string, value: string | Buffer): Promise<{ name: string; version: number }>;
  /** For last-hop injection only. The newest live version, or a given one. */
  get(name: string, version?: number): Promise<string>;
  getBytes(name: string, version?: number): Promise<Buffer>;
  /** Names, versions and timestamps — never values. */
  list(): Promise<SecretInfo[]>;
  /** Adds a version; older versions stay readable (by version) until retired. */
  rotate(name: string, value: string | Buffer): Promise<{ name: string; version: number }>;
  /** Crypto-shreds one version: its data key and ciphertext are erased. */
  retire(name: string, version: number): Promise<void>;
  /** Deletes every version. */
  delete(name: string): Promise<void>;
  /** Master key rotation: every data key is re-wrapped under `next`; values are not re-encrypted. */
  rewrap(next: MasterKey): Promise<{ rewrapped: number }>;
  /** Newest live version of every secret whose name passes `filter`, decrypted (the resolver's cache). */
  loadCurrent(filter: (name: string) => boolean): Promise<Map<string, Buffer>>;
  status(): { ok: boolean; reason?: string };
  onEvent(listener: (e: VaultEvent) => void): () => void;
}

export const SECRET_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export interface VaultDeps {
  readonly repo: VaultRepo;
  readonly masterKey: MasterKey;
  readonly now?: () => number;
}

/** Builds a vault over an opened repo with a master key already checked against the meta row. */
export function createVault(deps: VaultDeps): Vault {
  const now = deps.now ?? Date.now;
  let master = deps.masterKey;
  const listeners = new Set<(e: VaultEvent) => void>();
  /** Integrity failures by secret name: the vault reports not-ready until they are dealt with. */
  const damaged = new Map<string, string>();

  const emit = (e: VaultEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // A listener's failure must not undo a durable write.
      }
    }
  };
  const checkName = (name: string) => {
    if (!SECRET_NAME.test(name))
      throw new AirlockError('invalid_request', { detail: 'secret names are 1-128 of A-Z a-z 0-9 _ . -' });
  };
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AirlockError && err.code === 'store_unavailable')
        throw new AirlockError('vault_unavailable', {
          detail: `vault: ${err.detail ?? 'store unavailable'}`,
        });
      throw err;
    }
  };
  const toBytes = (value: string | Buffer) =>
    typeof value === 'string' ? Buffer.from(value, 'utf8') : value;

  const insert = async (name: string, value: string | Buffer, mode: 'create' | 'rotate') => {
    checkName(name);
    const bytes = toBytes(value);
    const key = master;
    const r = await guard(() =>
      deps.repo.insertNext(name, mode, key.check, now(), (version) =>
        encryptValue(key.bytes(), name, version, bytes),
      ),
    );
    if (r.kind === 'exists')
      throw new AirlockError('conflict', { detail: `secret ${name} exists; use rotate to add a version` });
    if (r.kind === 'missing') throw new AirlockError('secret_not_found', { detail: `no secret ${name}` });
    if (r.kind === 'stale_key')
      throw new AirlockError('vault_unavailable', {
        detail: 'the vault master key was rotated by another process; restart with the new key',
      });
    damaged.delete(name);
    emit({ type: mode === 'create' ? 'secret.created' : 'secret.rotated', name, version: r.version });
    return { name, version: r.version };
  };

  const decrypt = (name: string, version: number, row: Parameters<typeof decryptValue>[3]) => {
    try {
      return decryptValue(master.bytes(), name, version, row);
    } catch {
      // GCM authentication failed: tampered ciphertext, nonce or AAD, a swapped row, or a wrong key.
      const reason = `secret ${name} v${version} failed its integrity check`;
      damaged.set(name, reason);
      throw new AirlockError('vault_unavailable', { detail: reason });
    }
  };

  const getBytes = async (name: string, version?: number) => {
    checkName(name);
    const row = await guard(() => deps.repo.read(name, version));
    if (!row) throw new AirlockError('secret_not_found', { detail: `no live secret ${name}` });
    return decrypt(name, row.version, row);
  };

  const vault: Vault & { toJSON(): string; [inspect.custom](): string } = {
    put: (name, value) => insert(name, value, 'create'),
    rotate: (name, value) => insert(name, value, 'rotate'),
    getBytes,
    async get(name, version) {
      const bytes = await getBytes(name, version);
      try {
        return bytes.toString('utf8');
      } finally {
        bytes.fill(0);
      }
    },
    async list() {
      const rows = await guard(() => deps.repo.list());
      const byName = new Map<string, SecretInfo & { versions: SecretVersionInfo[] }>();
      for (const r of rows) {
        let info = byName.get(r.name);
        if (!info) {
          info = { name: r.name, current: null, versions: [] };
          byName.set(r.name, info);
        }
        info.versions.push({
          version: r.version,
          createdAt: new Date(r.createdAt).toISOString(),
          retiredAt: r.retiredAt === null ? null : new Date(r.retiredAt).toISOString(),
        });
        if (r.retiredAt === null) (info as { current: number | null }).current = r.version;
      }
      return [...byName.values()];
    },
    async retire(name, version) {
      checkName(name);
      if (!(await guard(() => deps.repo.retire(name, version, now()))))
        throw new AirlockError('secret_not_found', { detail: `no live version ${version} of ${name}` });
      emit({ type: 'secret.retired', name, version });
    },
    async delete(name) {
      checkName(name);
      const versions = await guard(() => deps.repo.remove(name));
      if (versions === 0) throw new AirlockError('secret_not_found', { detail: `no secret ${name}` });
      damaged.delete(name);
      emit({ type: 'secret.deleted', name, versions });
    },
    async rewrap(next) {
      const from = master;
      if (sameKeyCheck(from.check, next.check)) return { rewrapped: 0 };
      const n = await guard(() =>
        deps.repo.rewrap(
          from.check,
          { kdf: next.descriptor, keyCheck: next.check, updatedAt: now() },
          (name, version, row) => {
            try {
              return rewrapKey(from.bytes(), next.bytes(), name, version, row);
            } catch {
              // One bad row aborts the whole transaction: nothing is half re-wrapped.
              throw new AirlockError('vault_unavailable', {
                detail: `secret ${name} v${version} failed its integrity check; rewrap aborted`,
              });
            }
          },
        ),
      );
      if (n === false)
        throw new AirlockError('vault_unavailable', {
          detail: 'the vault master key changed under this process',
        });
      master = next;
      emit({ type: 'vault.rewrapped', secrets: n });
      return { rewrapped: n };
    },
    async loadCurrent(filter) {
      const rows = await guard(() => deps.repo.readCurrent());
      const out = new Map<string, Buffer>();
      for (const row of rows) if (filter(row.name)) out.set(row.name, decrypt(row.name, row.version, row));
      return out;
    },
    status() {
      const first = damaged.values().next();
      return first.done ? { ok: true } : { ok: false, reason: first.value };
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    toJSON: () => '[Vault]',
    [inspect.custom]: () => '[Vault]',
  };
  return vault;
}

/** A vault that refuses everything with one reason: what start-up builds when the key is missing or
 *  wrong, so the gateway can report not-ready instead of serving with secrets it cannot read. */
export function unavailableVault(reason: string): Vault {
  const fail = async (): Promise<never> => {
    throw new AirlockError('vault_unavailable', { detail: reason });
  };
  return {
    put: fail,
    get: fail,
    getBytes: fail,
    list: fail,
    rotate: fail,
    retire: fail,
    delete: fail,
    rewrap: fail,
    loadCurrent: fail,
    status: () => ({ ok: false, reason }),
    onEvent: () => () => {},
  };
}
