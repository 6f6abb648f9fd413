// Write-behind last use of IdP JWT subjects and mTLS workloads (P2, P8: credentials nobody uses are
// attack surface, so `airlock doctor` flags them). The request path only touches two in-memory maps:
// an identity is queued at most once per `minIntervalMs`, and queued identities are written to the
// store in one batch every `flushIntervalMs` (or as soon as `maxPending` are waiting). A failed
// batch is kept for the next flush (bounded); close() writes whatever is still queued, so a graceful
// shutdown loses nothing. Last-seen is bookkeeping, never a reason to refuse a request: a store
// outage is reported through onError, not to the caller.
import type { Principal } from '../http/context.ts';
import type { LastSeenStore, SeenIdentity, SeenUse } from './last-seen-store.ts';
import { hasIdentity } from './principal.ts';
import type { Authenticator } from './types.ts';

export interface LastSeenRecorderConfig {
  /** Least time between two queued uses of one identity. */
  readonly minIntervalMs?: number;
  /** How often queued uses are written. */
  readonly flushIntervalMs?: number;
  /** Queued identities that trigger an early flush; also the most kept after failed writes. */
  readonly maxPending?: number;
}

export interface LastSeenRecorderDeps {
  readonly store: LastSeenStore;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

export interface LastSeenRecorder {
  seen(identity: SeenIdentity): void;
  /** Writes what is queued now; resolves when it is durable (or reported through onError). */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
}

/** Identities remembered for throttling; past this the memory is dropped (costs one extra write each). */
const MAX_TRACKED = 100_000;

export function createLastSeenRecorder(
  config: LastSeenRecorderConfig,
  deps: LastSeenRecorderDeps,
): LastSeenRecorder {
  const now = deps.now ?? Date.now;
  const minIntervalMs = config.minIntervalMs ?? 60_000;
  const maxPending = config.maxPending ?? 10_000;
  const queuedAt = new Map<string, number>();
  let pending = new Map<string, { -readonly [K in keyof SeenUse]: SeenUse[K] }>();
  let writing: Promise<void> = Promise.resolve();

  async function writeOnce(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending = new Map();
    try {
      await deps.store.record(batch);
    } catch (err) {
      deps.onError?.(err);
      // Kept for the next flush, merged with anything queued meanwhile; the newest use wins.
      for (const u of batch) {
        const key = keyOf(u);
        const p = pending.get(key);
        if (p) {
          p.firstMs = Math.min(p.firstMs, u.firstMs);
          p.lastMs = Math.max(p.lastMs, u.lastMs);
        } else if (pending.size < maxPending) pending.set(key, { ...u });
      }
    }
  }

  function flush(): Promise<void> {
    writing = writing.then(writeOnce);
    return writing;
  }

  const timer = setInterval(() => void flush(), config.flushIntervalMs ?? 60_000);
  timer.unref();

  return {
    seen(identity) {
      const t = now();
      const key = keyOf(identity);
      const last = queuedAt.get(key);
      if (last !== undefined && t - last < minIntervalMs) return;
      if (queuedAt.size >= MAX_TRACKED) queuedAt.clear();
      queuedAt.set(key, t);
      const p = pending.get(key);
      if (p) p.lastMs = Math.max(p.lastMs, t);
      else
        pending.set(key, {
          kind: identity.kind,
          issuer: identity.issuer,
          subject: identity.subject,
          firstMs: t,
          lastMs: t,
        });
      if (pending.size >= maxPending) void flush();
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

const keyOf = (i: SeenIdentity) => `${i.kind}\n${i.issuer}\n${i.subject}`;

/** The identity to track for a principal: an IdP JWT subject or an mTLS workload; else undefined. */
export function seenIdentityOf(p: Principal): SeenIdentity | undefined {
  if (!hasIdentity(p)) return undefined;
  const d = p.identity;
  if (d.credentialKind === 'jwt' && d.issuer !== undefined)
    return { kind: 'jwt', issuer: d.issuer, subject: p.id };
  if (d.credentialKind === 'mtls' && d.spiffeId !== undefined && d.issuer !== undefined)
    return { kind: 'spiffe', issuer: d.issuer, subject: d.spiffeId };
  return undefined;
}

/** The same authenticator, telling the recorder about every identity it authenticates. */
export function trackLastSeen(authenticator: Authenticator, recorder: LastSeenRecorder): Authenticator {
  return {
    id: authenticator.id,
    async authenticate(req) {
      const r = await authenticator.authenticate(req);
      if (r.kind === 'authenticated') {
        const seen = seenIdentityOf(r.principal);
        if (seen) recorder.seen(seen);
      }
      return r;
    },
  };
}
