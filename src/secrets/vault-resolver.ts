// `secret:NAME` → value for last-hop injection, from the vault first and today's 0600 secret files
// second. Adapters resolve synchronously per request, so the resolver serves from a decrypted
// in-memory snapshot that refresh() reloads (at start-up, on every local vault change and on an
// interval for changes made by other replicas).
//
// Fail closed: while the vault is unavailable nothing falls back to a file — a stale file must not
// shadow a secret that was rotated in the vault. Names under `airlock.` (TOTP seeds and other internal
// secrets) are never resolvable from the config.
import { inspect } from 'node:util';
import { AirlockError } from '../errors.ts';
import { createSecretResolver } from './secret-files.ts';
import type { Vault } from './vault.ts';

export const INTERNAL_PREFIX = 'airlock.';

export interface VaultSecretResolver {
  /** Synchronous, per request: `resolveSecret` for the adapters. */
  readonly resolve: (ref: string) => string;
  /** Reloads the snapshot; rejects (and makes resolve fail closed) when the vault is unavailable. */
  refresh(): Promise<void>;
  status(): { ok: boolean; reason?: string };
  close(): void;
}

export interface VaultResolverOptions {
  /** Fallback for names the vault does not hold; default: createSecretResolver(dataDir) when given. */
  readonly fallback?: (ref: string) => string;
  readonly dataDir?: string;
  /** Background refresh period; 0 disables it (tests call refresh()). */
  readonly refreshIntervalMs?: number;
}

export function createVaultSecretResolver(
  vault: Vault,
  opts: VaultResolverOptions = {},
): VaultSecretResolver {
  const fallback =
    opts.fallback ?? (opts.dataDir !== undefined ? createSecretResolver(opts.dataDir) : undefined);
  let snapshot = new Map<string, Buffer>();
  let loaded = false;
  let failure: string | undefined = 'vault secrets not loaded yet';
  let closed = false;

  const refresh = async () => {
    try {
      const next = await vault.loadCurrent((name) => !name.startsWith(INTERNAL_PREFIX));
      for (const b of snapshot.values()) b.fill(0);
      snapshot = next;
      loaded = true;
      failure = undefined;
    } catch (err) {
      failure = err instanceof AirlockError ? (err.detail ?? err.message) : 'vault refresh failed';
      throw err instanceof AirlockError ? err : new AirlockError('vault_unavailable', { detail: failure });
    }
  };

  // A change made in this process is visible to the next request, not the next interval.
  const unsubscribe = vault.onEvent(() => {
    refresh().catch(() => {});
  });
  const timer =
    opts.refreshIntervalMs && opts.refreshIntervalMs > 0
      ? setInterval(() => refresh().catch(() => {}), opts.refreshIntervalMs)
      : undefined;
  timer?.unref();

  const resolve = (ref: string): string => {
    const m = /^secret:([A-Za-z0-9_.-]+)$/.exec(ref);
    if (!m) throw new AirlockError('config_invalid', { detail: 'not a secret reference: use secret:NAME' });
    const name = m[1]!;
    if (name.startsWith(INTERNAL_PREFIX))
      throw new AirlockError('secret_not_found', {
        detail: `secret:${name} is internal and cannot be referenced`,
      });
    if (failure !== undefined || !loaded) throw new AirlockError('vault_unavailable', { detail: failure });
    const value = snapshot.get(name);
    if (value !== undefined) return value.toString('utf8');
    if (fallback) return fallback(ref);
    throw new AirlockError('secret_not_found', { detail: `no secret ${name}` });
  };

  const resolver: VaultSecretResolver & { toJSON(): string; [inspect.custom](): string } = {
    resolve,
    refresh,
    status() {
      const v = vault.status();
      if (!v.ok) return v;
      return failure === undefined ? { ok: true } : { ok: false, reason: failure };
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      if (timer) clearInterval(timer);
      for (const b of snapshot.values()) b.fill(0);
      snapshot = new Map();
    },
    toJSON: () => '[VaultSecretResolver]',
    [inspect.custom]: () => '[VaultSecretResolver]',
  };
  return resolver;
}
