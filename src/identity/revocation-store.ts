// Revocations of task tokens: a whole task (every token minted for it, and any further exchange for
// it) or one token by jti. Checked on every use of a task token (P8). An entry is kept until
// `until` — the latest moment a token it could match may still be valid — then pruned.
// Drivers: memory (tests), SQLite and PostgreSQL over the store's database (revocation-store-sqlite.ts,
// revocation-store-postgres.ts; table from migration 0003_task_token_revocations). No driver caches:
// every isRevoked reads the table, so a revocation on one replica is refused by every other replica
// on its next use, with no propagation delay.
export interface RevocationEntry {
  readonly kind: 'task' | 'jti';
  readonly id: string;
  readonly until: Date;
  readonly revokedAt: Date;
}

export interface RevocationStore {
  /** MUST be durable before it resolves; the next isRevoked on any reader of the store MUST see it. */
  revokeTask(taskId: string, until: Date): Promise<void>;
  /** MUST be durable before it resolves. */
  revokeToken(jti: string, until: Date): Promise<void>;
  /** True when the task or the token is revoked and the entry has not lapsed. */
  isRevoked(ref: { readonly taskId?: string; readonly jti?: string }, now: Date): Promise<boolean>;
  /** Entries that have not lapsed, newest revocation first. */
  list(now: Date): Promise<RevocationEntry[]>;
  /** Deletes lapsed entries; returns how many. */
  prune(now: Date): Promise<number>;
  close(): void;
}

/** Single-process store (tests, or a node that accepts losing revocations on restart). */
export function createMemoryRevocationStore(clock: () => number = Date.now): RevocationStore {
  const entries = new Map<string, { until: number; revokedAt: number }>();
  const key = (kind: 'task' | 'jti', id: string) => `${kind}\u0000${id}`;
  const put = (kind: 'task' | 'jti', id: string, until: Date) => {
    const prev = entries.get(key(kind, id));
    entries.set(key(kind, id), {
      until: Math.max(prev?.until ?? 0, until.getTime()),
      revokedAt: prev?.revokedAt ?? clock(),
    });
  };
  const live = (kind: 'task' | 'jti', id: string | undefined, t: number) =>
    id !== undefined && (entries.get(key(kind, id))?.until ?? 0) > t;
  return {
    async revokeTask(taskId, until) {
      put('task', taskId, until);
    },
    async revokeToken(jti, until) {
      put('jti', jti, until);
    },
    async isRevoked(ref, now) {
      const t = now.getTime();
      return live('task', ref.taskId, t) || live('jti', ref.jti, t);
    },
    async list(now) {
      return [...entries]
        .filter(([, e]) => e.until > now.getTime())
        .map(([k, e]) => {
          const [kind, id] = k.split('\u0000') as ['task' | 'jti', string];
          return { kind, id, until: new Date(e.until), revokedAt: new Date(e.revokedAt) };
        })
        .sort((a, b) => b.revokedAt.getTime() - a.revokedAt.getTime());
    },
    async prune(now) {
      let n = 0;
      for (const [k, e] of entries)
        if (e.until <= now.getTime()) {
          entries.delete(k);
          n++;
        }
      return n;
    },
    close() {},
  };
}
