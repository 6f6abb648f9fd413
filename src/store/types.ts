// One store interface, two opaque drivers (SQLite, PostgreSQL). Drivers own their SQL, migrations and
// locking and share no base class; test/integration/store-contract.test.ts runs against both.
//
// Contract:
// - Every method that resolves has made its write durable (SQLite synchronous=FULL, PostgreSQL
//   synchronous_commit=on). A rejected write MUST NOT leave a partial row behind.
// - Methods MUST NOT return secret material: API keys are stored only as keyed hashes.
// - Errors from an unreachable database are AirlockError('store_unavailable').

export interface ApiKeyRecord {
  readonly id: string;
  /** Visible prefix, e.g. `ak_live_3f9a` — identifies a key in lists and logs without revealing it. */
  readonly prefix: string;
  /** HMAC-SHA-256(pepper, key) as lower-case hex. */
  readonly hash: string;
  readonly owner: string;
  readonly kind: 'client' | 'admin';
  /** Model aliases this key may use; ['*'] for all. */
  readonly models: readonly string[];
  /** Endpoints this key may use (chat, completions, embeddings, models); ['*'] for all. */
  readonly endpoints: readonly string[];
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  /** Set on the old key when it was rotated: it keeps working until expiresAt (the overlap window). */
  readonly replacedBy: string | null;
  readonly lastUsedAt: Date | null;
  /** Who created the key: the admin principal id (admin API) or `cli:<os user>` (CLI). null for keys
   *  created before this was recorded (creator unknown). The two-person rule reads it. */
  readonly createdBy: string | null;
}

export interface NewApiKey {
  readonly id: string;
  readonly prefix: string;
  readonly hash: string;
  readonly owner: string;
  readonly kind: 'client' | 'admin';
  readonly models: readonly string[];
  readonly endpoints: readonly string[];
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** Who created the key (see ApiKeyRecord.createdBy); omitted → null. */
  readonly createdBy?: string | null;
}

export interface ApiKeyStore {
  insertApiKey(key: NewApiKey): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(filter?: { owner?: string; includeRevoked?: boolean }): Promise<ApiKeyRecord[]>;
  /** Returns false when no such key exists or it was already revoked. */
  revokeApiKey(id: string, at: Date): Promise<boolean>;
  /** Atomically inserts `next` and shortens the old key's expiry to `overlapUntil` (if earlier),
   *  marking it replaced. Returns false (and inserts nothing) when the old key is missing or revoked. */
  rotateApiKey(oldId: string, next: NewApiKey, overlapUntil: Date): Promise<boolean>;
  /** Every key (revoked and replaced ones included) that `creator` created for `owner`, oldest first. */
  listApiKeysCreatedBy(owner: string, creator: string): Promise<ApiKeyRecord[]>;
  /** Records use; never moves lastUsedAt backwards, and an unknown id is a no-op. Callers throttle it. */
  touchApiKey(id: string, at: Date): Promise<void>;
}

/** Token budget accounting, per key and model, by UTC day. Shared across replicas via the store. */
export interface UsageStore {
  /** Atomic increment (an upsert), safe from many replicas at once. `tokens` is a safe integer;
   *  `day` is the UTC date as YYYY-MM-DD. */
  addTokenUsage(scope: string, day: string, tokens: number): Promise<void>;
  /** 0 when nothing was recorded. */
  getTokenUsage(scope: string, day: string): Promise<number>;
}

export interface Store extends ApiKeyStore, UsageStore {
  readonly driver: 'sqlite' | 'postgres';
  /** Applies pending migrations; idempotent and safe when replicas start together. Rejects with
   *  store_unavailable when an applied migration's checksum no longer matches its file. */
  migrate(): Promise<void>;
  /** Cheap liveness probe for /readyz; never throws (false when unreachable or closed). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
