// A bounded FIFO with a drop counter, shared by every exporter and the trace exporter. Export must
// never hold a request or grow without bound, so a full queue drops the newest item and counts it:
// the gap is visible in health() and metrics, and the Merkle log still holds the entry.

export interface BoundedQueue<T> {
  /** false when the queue is full: the item was dropped and counted. */
  push(item: T): boolean;
  /** Removes and returns up to `n` items from the front. */
  take(n: number): T[];
  /** Puts items back at the front (a failed send keeps its place), dropping what no longer fits. */
  unshift(items: readonly T[]): void;
  /** Count items lost after they left the queue (a failed write, a refused batch). */
  countDropped(n: number): void;
  readonly size: number;
  readonly dropped: number;
}

export function createBoundedQueue<T>(max: number): BoundedQueue<T> {
  let items: T[] = [];
  let head = 0;
  let dropped = 0;
  const size = () => items.length - head;
  return {
    push(item) {
      if (size() >= max) {
        dropped++;
        return false;
      }
      items.push(item);
      return true;
    },
    take(n) {
      const out = items.slice(head, head + n);
      head += out.length;
      if (head === items.length) {
        items = [];
        head = 0;
      } else if (head > 1024 && head * 2 > items.length) {
        items = items.slice(head);
        head = 0;
      }
      return out;
    },
    unshift(back) {
      const room = Math.max(0, max - size());
      const kept = back.length > room ? back.slice(0, room) : back;
      dropped += back.length - kept.length;
      items = [...kept, ...items.slice(head)];
      head = 0;
    },
    countDropped(n) {
      dropped += n;
    },
    get size() {
      return size();
    },
    get dropped() {
      return dropped;
    },
  };
}

/** Capped exponential backoff with jitter (OTLP §"OTLP/HTTP Connection": retries MUST jitter). */
export function backoffDelay(attempt: number, b: { initialMs: number; maxMs: number }): number {
  const base = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** First line of an error, for health() and logs: never a stack or a body. */
export function oneLine(err: unknown): string {
  const msg =
    err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
  return msg.split('\n')[0]!.slice(0, 200);
}
