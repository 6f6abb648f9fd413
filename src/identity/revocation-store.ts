// Revocations of task tokens: a whole task (every token minted for it, and any further exchange for
// it) or one token by jti. Checked on every use of a task token (P8). An entry is kept until
// `until` — the latest moment a token it could match may still be valid — then pruned.
export interface RevocationStore {
  /** MUST be durable before it resolves; the next isRevoked on any reader of the store MUST see it. */
  revokeTask(taskId: string, until: Date): Promise<void>;
  /** MUST be durable before it resolves. */
  revokeToken(jti: string, until: Date): Promise<void>;
  /** True when the task or the token is revoked and the entry has not lapsed. */
  isRevoked(ref: { readonly taskId?: string; readonly jti?: string }, now: Date): Promise<boolean>;
  /** Deletes lapsed entries; returns how many. */
  prune(now: Date): Promise<number>;
  close(): void;
}

/** Single-process store (tests, or a node that accepts losing revocations on restart). */
export function createMemoryRevocationStore(): RevocationStore {
  const tasks = new Map<string, number>();
  const tokens = new Map<string, number>();
  const put = (m: Map<string, number>, id: string, until: Date) =>
    m.set(id, Math.max(m.get(id) ?? 0, until.getTime()));
  const live = (m: Map<string, number>, id: string | undefined, t: number) =>
    id !== undefined && (m.get(id) ?? 0) > t;
  return {
    async revokeTask(taskId, until) {
      put(tasks, taskId, until);
    },
    async revokeToken(jti, until) {
      put(tokens, jti, until);
    },
    async isRevoked(ref, now) {
      const t = now.getTime();
      return live(tasks, ref.taskId, t) || live(tokens, ref.jti, t);
    },
    async prune(now) {
      let n = 0;
      for (const m of [tasks, tokens])
        for (const [id, until] of m)
          if (until <= now.getTime()) {
            m.delete(id);
            n++;
          }
      return n;
    },
    close() {},
  };
}
