// Key lifecycle shared by the CLI and the admin API: create, list, revoke, rotate.
// Every key has an expiry no later than the configured maximum lifetime.
import { AirlockError } from '../errors.ts';
import type { ApiKeyRecord, Store } from '../store/types.ts';
import { generateApiKey } from './api-key-codec.ts';

export interface KeyServiceDeps {
  readonly store: Store;
  readonly pepper: Buffer;
  readonly maxTtlMs: number;
  readonly rotationOverlapMs: number;
  readonly now?: () => number;
  /** Lifecycle events for the audit log (never the key itself). */
  readonly onEvent?: (event: KeyLifecycleEvent) => void | Promise<void>;
}

export interface KeyLifecycleEvent {
  readonly type: 'key.created' | 'key.revoked' | 'key.rotated';
  readonly keyId: string;
  readonly prefix?: string;
  readonly owner?: string;
  readonly actor: string;
  readonly replaces?: string;
  readonly expiresAt?: string;
}

export interface CreateKeyInput {
  readonly owner: string;
  readonly kind?: 'client' | 'admin';
  readonly models?: readonly string[];
  readonly endpoints?: readonly string[];
  readonly ttlMs: number;
  readonly actor: string;
  /** Principal id recorded as the key's creator (the two-person rule reads it: whoever creates a key
   *  holds its secret). Defaults to `actor` (the CLI's `cli:<os user>`). */
  readonly createdBy?: string;
}

export interface CreatedKey {
  readonly id: string;
  readonly key: string;
  readonly prefix: string;
  readonly expiresAt: Date;
}

export interface KeyService {
  create(input: CreateKeyInput): Promise<CreatedKey>;
  list(filter?: { owner?: string; includeRevoked?: boolean }): Promise<ApiKeyRecord[]>;
  revoke(id: string, actor: string): Promise<void>;
  /** `createdBy` (default `actor`) is recorded as the new key's creator: the rotator sees its secret. */
  rotate(id: string, actor: string, createdBy?: string): Promise<CreatedKey & { oldExpiresAt: Date }>;
}

export function createKeyService(deps: KeyServiceDeps): KeyService {
  const now = deps.now ?? Date.now;
  const emit = async (event: KeyLifecycleEvent) => {
    await deps.onEvent?.(event);
  };

  async function create(input: CreateKeyInput): Promise<CreatedKey> {
    if (!(input.ttlMs > 0)) throw new AirlockError('invalid_request', { detail: 'ttl must be positive' });
    if (input.ttlMs > deps.maxTtlMs)
      throw new AirlockError('ttl_too_long', { detail: `max ${deps.maxTtlMs} ms` });
    if (!/^[\w.@:-]{1,128}$/.test(input.owner))
      throw new AirlockError('invalid_request', { detail: 'owner must be 1-128 word characters' });
    const kind = input.kind ?? 'client';
    const g = generateApiKey(deps.pepper, kind);
    const createdAt = new Date(now());
    const expiresAt = new Date(createdAt.getTime() + input.ttlMs);
    await deps.store.insertApiKey({
      id: g.id,
      prefix: g.prefix,
      hash: g.hash,
      owner: input.owner,
      kind,
      models: input.models?.length ? input.models : ['*'],
      endpoints: input.endpoints?.length ? input.endpoints : ['*'],
      createdAt,
      expiresAt,
      createdBy: input.createdBy ?? input.actor,
    });
    await emit({
      type: 'key.created',
      keyId: g.id,
      prefix: g.prefix,
      owner: input.owner,
      actor: input.actor,
      expiresAt: expiresAt.toISOString(),
    });
    return { id: g.id, key: g.key, prefix: g.prefix, expiresAt };
  }

  async function revoke(id: string, actor: string): Promise<void> {
    const ok = await deps.store.revokeApiKey(id, new Date(now()));
    if (!ok) throw new AirlockError('not_found', { detail: `no active key ${id}` });
    await emit({ type: 'key.revoked', keyId: id, actor });
  }

  async function rotate(id: string, actor: string, createdBy?: string) {
    const old = await deps.store.getApiKey(id);
    if (!old || old.revokedAt) throw new AirlockError('not_found', { detail: `no active key ${id}` });
    const g = generateApiKey(deps.pepper, old.kind);
    const createdAt = new Date(now());
    // The new key keeps the old key's remaining lifetime, bounded by the maximum.
    const lifetime = Math.min(deps.maxTtlMs, old.expiresAt.getTime() - old.createdAt.getTime());
    const expiresAt = new Date(createdAt.getTime() + lifetime);
    const overlapUntil = new Date(createdAt.getTime() + deps.rotationOverlapMs);
    const ok = await deps.store.rotateApiKey(
      id,
      {
        id: g.id,
        prefix: g.prefix,
        hash: g.hash,
        owner: old.owner,
        kind: old.kind,
        models: old.models,
        endpoints: old.endpoints,
        createdAt,
        expiresAt,
        createdBy: createdBy ?? actor,
      },
      overlapUntil,
    );
    if (!ok) throw new AirlockError('conflict', { detail: `key ${id} changed concurrently` });
    const oldExpiresAt = new Date(Math.min(old.expiresAt.getTime(), overlapUntil.getTime()));
    await emit({
      type: 'key.rotated',
      keyId: g.id,
      replaces: id,
      prefix: g.prefix,
      owner: old.owner,
      actor,
      expiresAt: expiresAt.toISOString(),
    });
    return { id: g.id, key: g.key, prefix: g.prefix, expiresAt, oldExpiresAt };
  }

  return { create, list: (filter) => deps.store.listApiKeys(filter), revoke, rotate };
}
