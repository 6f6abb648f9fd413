// The single sequencer with group commit. Appends queue up; while commits are in flight everything
// that arrives joins the next batch (up to maxBatch), and each batch is ONE driver transaction holding
// its entries, tree nodes and (every checkpointIntervalMs, or on demand) a signed checkpoint. This is
// what lets a durable append cost a fraction of an fsync. An idle sequencer commits at once (a
// microtask, not a turn of the event loop): grouping costs nothing when nothing else is waiting. A
// HELD append (`holdMs`) is the exception: it waits up to holdMs for company (the next non-held
// append, a checkpoint, a drain, or a full batch) so that an entry nobody awaits yet shares the commit
// of the one that follows it (the gateway's pre-forward entry and its completion: one fsync, not two).
// A target that commits strictly in submission order (the SQLite writer thread) may take a second batch
// while the first commits, so the writer never waits for the main thread to hand it the next one.
// Fail closed (STYLE 9, P9): a failed commit rejects its batch, every commit behind it and everything
// queued with audit_unavailable, and later appends fail fast until a probe write succeeds.
import { AirlockError } from '../errors.ts';
import type { PendingEntry } from './entry.ts';
import { prepareEntry } from './entry.ts';
import type { AppendOptions, AuditEvent, AuditHealth, Checkpoint } from './types.ts';

/** A hold is a brief wait for company, never a way to park an entry: longer holds are cut to this. */
const MAX_HOLD_MS = 1000;

export interface CommitOutcome {
  /** Index of the batch's first entry. */
  readonly first: number;
  /** Tree size after the commit. */
  readonly size: number;
  readonly checkpoint: Checkpoint | null;
}

/** What a driver gives the sequencer. `commit` MUST be all-or-nothing and durable when it resolves. */
export interface CommitTarget {
  commit(batch: readonly PendingEntry[], withCheckpoint: boolean): Promise<CommitOutcome>;
  /** A cheap write that proves the store accepts writes again. */
  probe(): Promise<void>;
  /** Most commits in flight at once (default 1). More than 1 only for a target that MUST apply and
   *  settle its commits in submission order (one writer thread, FIFO messages), so indices still
   *  follow call order. */
  readonly pipeline?: number;
  /** Tree size and size of the latest stored checkpoint, read at open. */
  readonly initialSize: number;
  readonly lastCheckpointSize: number;
}

export interface SequencerOptions {
  readonly maxBatch: number;
  readonly checkpointIntervalMs: number;
  readonly probeIntervalMs: number;
  readonly now?: () => Date;
  /** Called with the exact leaf JSON of every entry once its commit is durable (exports, traces).
   *  MUST NOT throw into the sequencer: derived copies never fail a commit. */
  readonly onCommitted?: (leaves: readonly string[]) => void;
}

interface Waiter {
  readonly entries: readonly PendingEntry[];
  readonly wantsCheckpoint: boolean;
  resolve(o: { first: number; checkpoint: Checkpoint | null }): void;
  reject(err: unknown): void;
}

export interface Sequencer {
  append(event: AuditEvent, options?: AppendOptions): Promise<{ index: number }>;
  appendMany(events: readonly AuditEvent[]): Promise<{ first: number; count: number }>;
  publishCheckpoint(): Promise<Checkpoint>;
  health(): AuditHealth;
  /** Drain: settle every queued append and store a final checkpoint covering them. */
  drain(): Promise<void>;
}

export function createSequencer(target: CommitTarget, opts: SequencerOptions): Sequencer {
  const now = opts.now ?? (() => new Date());
  const queue: Waiter[] = [];
  const depth = Math.max(1, target.pipeline ?? 1);
  /** Commits handed to the target and not yet settled. */
  let inFlight = 0;
  /** Bumped by every failed commit: a commit started before a failure is not acknowledged. */
  let epoch = 0;
  let scheduled = false;
  let closed = false;
  let closing = false;
  let failure: string | undefined;
  let lastProbeAt = 0;
  let probing: Promise<boolean> | undefined;
  let lastCheckpointAt = Date.now();
  let checkpointedSize = target.lastCheckpointSize;
  let size = target.initialSize;
  let timer: NodeJS.Timeout | undefined;
  /** Waiters at the head of the queue a commit may take now; every waiter behind them is a held
   *  append (one entry each) waiting for company or for its hold to expire. */
  let released = 0;
  let holdTimer: NodeJS.Timeout | undefined;
  let holdUntil = Number.POSITIVE_INFINITY;

  const unavailable = (detail: string, cause?: unknown) =>
    new AirlockError('audit_unavailable', { detail, retryAfter: 1, cause });

  function stopHold(): void {
    if (holdTimer !== undefined) clearTimeout(holdTimer);
    holdTimer = undefined;
    holdUntil = Number.POSITIVE_INFINITY;
  }

  /** Everything queued may commit now (a non-held append, a checkpoint, a drain, an expired hold). */
  function release(): void {
    released = queue.length;
    stopHold();
    schedule();
  }

  /** A held append was queued: commit it no later than `ms` from now (the earliest hold wins), or at
   *  once when the held entries alone fill a batch. The timer is not unref'd: a caller is awaiting the
   *  entry, and a process must not exit with it accepted but never written (it lasts holdMs at most). */
  function hold(ms: number): void {
    if (queue.length - released >= opts.maxBatch) {
      release();
      return;
    }
    const until = performance.now() + ms;
    if (until >= holdUntil) return;
    if (holdTimer !== undefined) clearTimeout(holdTimer);
    holdUntil = until;
    holdTimer = setTimeout(release, ms);
  }

  function schedule(): void {
    if (scheduled || inFlight >= depth) return;
    scheduled = true;
    // A microtask: everything appended in this synchronous run (appendMany, a handler's two events)
    // still shares one batch, without waiting a turn of the event loop when the log is idle.
    queueMicrotask(() => {
      scheduled = false;
      pump();
    });
  }

  /** Starts commits while there is room in the pipeline and something released to commit. A commit
   *  that starts anyway also takes the held entries behind the released ones, up to maxBatch. */
  function pump(): void {
    while (released > 0 && inFlight < depth) {
      const batch: Waiter[] = [];
      let count = 0;
      while (queue.length > 0 && (batch.length === 0 || count + queue[0]!.entries.length <= opts.maxBatch)) {
        const w = queue.shift()!;
        batch.push(w);
        count += w.entries.length;
      }
      released = Math.max(0, released - batch.length);
      if (released === queue.length) stopHold();
      const withCheckpoint =
        batch.some((w) => w.wantsCheckpoint) || Date.now() - lastCheckpointAt >= opts.checkpointIntervalMs;
      // Counted from the request, so the batch behind it in the pipeline does not sign one more.
      if (withCheckpoint) lastCheckpointAt = Date.now();
      const entries = batch.length === 1 ? batch[0]!.entries : batch.flatMap((w) => w.entries);
      inFlight++;
      const started = epoch;
      let committing: Promise<CommitOutcome>;
      try {
        committing = target.commit(entries, withCheckpoint);
      } catch (err) {
        committing = Promise.reject(err);
      }
      committing.then(
        (outcome) => settled(batch, entries, started, outcome),
        (err: unknown) => failed(batch, err),
      );
    }
  }

  function failed(batch: readonly Waiter[], err: unknown): void {
    inFlight--;
    epoch++;
    failure = oneLine(err);
    lastProbeAt = Date.now();
    const e = unavailable(failure, err);
    for (const w of batch) w.reject(e);
    released = 0;
    stopHold();
    for (const w of queue.splice(0)) w.reject(e);
  }

  function settled(
    batch: readonly Waiter[],
    entries: readonly PendingEntry[],
    started: number,
    outcome: CommitOutcome,
  ): void {
    inFlight--;
    size = Math.max(size, outcome.size);
    if (opts.onCommitted && entries.length > 0) {
      // Durable, so exported even when the commit before it failed.
      const leaves = entries.map((p, i) => p.pre + String(outcome.first + i) + p.post);
      try {
        opts.onCommitted(leaves);
      } catch {
        // exports never fail a commit
      }
    }
    if (outcome.checkpoint !== null) {
      lastCheckpointAt = Date.now();
      checkpointedSize = Math.max(checkpointedSize, outcome.checkpoint.size);
    }
    if (started !== epoch) {
      // A commit ahead of this one failed while it was in flight: fail closed, acknowledge nothing.
      const e = unavailable(failure ?? 'audit store unavailable');
      for (const w of batch) w.reject(e);
    } else {
      let at = outcome.first;
      for (const w of batch) {
        w.resolve({ first: at, checkpoint: outcome.checkpoint });
        at += w.entries.length;
      }
    }
    if (failure === undefined) pump();
    if (inFlight === 0) armCheckpointTimer();
  }

  // A quiet log still gets a checkpoint covering its last entries within one interval.
  function armCheckpointTimer(): void {
    if (timer !== undefined || closed || failure !== undefined || size <= checkpointedSize) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        if (!closed && size > checkpointedSize && queue.length === 0) {
          enqueue([], true, true).catch(() => {});
        }
      },
      Math.max(0, opts.checkpointIntervalMs - (Date.now() - lastCheckpointAt)),
    );
    timer.unref();
  }

  async function admit(internal: boolean): Promise<void> {
    if (closed || (closing && !internal)) throw unavailable('audit log is closed');
    if (failure === undefined) return;
    if (probing === undefined) {
      if (Date.now() - lastProbeAt < opts.probeIntervalMs) throw unavailable(failure);
      lastProbeAt = Date.now();
      probing = target.probe().then(
        () => true,
        (err: unknown) => {
          failure = oneLine(err);
          return false;
        },
      );
    }
    const ok = await probing;
    probing = undefined;
    if (ok) failure = undefined;
    else throw unavailable(failure ?? 'audit store unavailable');
  }

  // Open and healthy: queue synchronously, so call order is index order and the hot path (the gateway
  // appends twice per request) takes no async hop. Otherwise admit() decides (probe, fail fast).
  const admitNow = (internal: boolean) => failure === undefined && !closed && (internal || !closing);

  /** Queues a waiter; a positive holdMs holds it (see hold), anything else releases the whole queue. */
  function push(w: Waiter, holdMs: number): void {
    queue.push(w);
    if (holdMs > 0) hold(holdMs);
    else release();
  }

  function enqueue(
    entries: readonly PendingEntry[],
    wantsCheckpoint: boolean,
    internal = false,
    holdMs = 0,
  ): Promise<{ first: number; checkpoint: Checkpoint | null }> {
    const queued = () =>
      new Promise<{ first: number; checkpoint: Checkpoint | null }>((resolve, reject) =>
        push({ entries, wantsCheckpoint, resolve, reject }, holdMs),
      );
    return admitNow(internal) ? queued() : admit(internal).then(queued);
  }

  return {
    append(event, options) {
      let pending: PendingEntry;
      try {
        pending = prepareEntry(event, now());
      } catch (err) {
        return Promise.reject(err);
      }
      // NaN, negative and absent holds are no hold.
      const holdMs = Math.min(options?.holdMs ?? 0, MAX_HOLD_MS) || 0;
      if (!admitNow(false)) return enqueue([pending], false, false, holdMs).then((o) => ({ index: o.first }));
      return new Promise((resolve, reject) =>
        push(
          { entries: [pending], wantsCheckpoint: false, resolve: (o) => resolve({ index: o.first }), reject },
          holdMs,
        ),
      );
    },
    async appendMany(events) {
      const t = now();
      const pending = events.map((e) => prepareEntry(e, t));
      if (pending.length === 0) return { first: size, count: 0 };
      const { first } = await enqueue(pending, false);
      return { first, count: pending.length };
    },
    async publishCheckpoint() {
      const { checkpoint } = await enqueue([], true);
      return checkpoint!;
    },
    health() {
      if (closed || closing) return { ok: false, reason: 'audit log is closed' };
      return failure === undefined ? { ok: true } : { ok: false, reason: failure };
    },
    async drain() {
      if (closed) return;
      closing = true;
      // The final checkpoint queues behind every accepted append, so awaiting it drains them all.
      if (failure === undefined) await enqueue([], size > checkpointedSize, true).catch(() => {});
      while (inFlight > 0 || queue.length > 0) {
        // Held appends admitted after the final checkpoint was queued do not wait out their hold.
        if (released < queue.length) release();
        await new Promise((r) => setImmediate(r));
      }
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** First line of an error message: health() and logs carry one line, never a stack or a body. */
function oneLine(err: unknown): string {
  const msg =
    err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
  return msg.split('\n')[0]!.slice(0, 200);
}
