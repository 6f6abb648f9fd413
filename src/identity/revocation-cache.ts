// Optional read cache in front of a shared revocation store (identity.tokens.revocations.maxStaleness).
// With PostgreSQL, the per-use revocation check is a network round trip; a site may accept that a
// revocation made on *another* replica takes effect up to `maxStalenessMs` later in exchange for
// skipping it. Bounded and one-sided:
// - only "not revoked" answers are cached, each for at most maxStalenessMs;
// - a "revoked" answer is remembered (a revocation is never undone, only lapses with the token);
// - a revocation made through this replica is written through and seen here at once.
// maxStalenessMs = 0 (the default) means no cache: every use reads the store.
import type { RevocationStore } from './revocation-store.ts';

const MAX_ENTRIES = 10_000;

export function createCachedRevocationStore(
  inner: RevocationStore,
  opts: { readonly maxStalenessMs: number; readonly now?: () => number },
): RevocationStore {
  if (opts.maxStalenessMs <= 0) return inner;
  const clock = opts.now ?? Date.now;
  const notRevoked = new Map<string, number>(); // key → checked at
  const revoked = new Set<string>();
  const key = (ref: { taskId?: string; jti?: string }) => `${ref.taskId ?? ''}\u0000${ref.jti ?? ''}`;
  const forget = (kind: 'task' | 'jti', id: string) => {
    for (const k of notRevoked.keys()) {
      const [taskId, jti] = k.split('\u0000');
      if ((kind === 'task' ? taskId : jti) === id) notRevoked.delete(k);
    }
  };
  return {
    async revokeTask(taskId, until) {
      await inner.revokeTask(taskId, until);
      forget('task', taskId);
    },
    async revokeToken(jti, until) {
      await inner.revokeToken(jti, until);
      forget('jti', jti);
    },
    async isRevoked(ref, now) {
      const k = key(ref);
      if (revoked.has(k)) return true;
      const at = notRevoked.get(k);
      const t = clock();
      if (at !== undefined && t - at < opts.maxStalenessMs) return false;
      const answer = await inner.isRevoked(ref, now);
      if (notRevoked.size + revoked.size >= MAX_ENTRIES) {
        notRevoked.clear();
        revoked.clear();
      }
      if (answer) {
        notRevoked.delete(k);
        revoked.add(k);
      } else notRevoked.set(k, t);
      return answer;
    },
    list: (now) => inner.list(now),
    prune: (now) => inner.prune(now),
    close: () => inner.close(),
  };
}
