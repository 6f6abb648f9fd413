// A FIFO pool of generation slots (one per context sequence). Requests beyond the pool wait in order
// instead of fighting over a sequence; a bounded queue turns overload into a typed 503, and a waiter
// whose client went away leaves the queue without ever taking a slot.
import { AirlockError } from '../../errors.ts';

export interface SlotPool<T> {
  /** Resolves with a free slot; rejects with gateway_overloaded when the queue is full, or with the
   *  signal's reason when it aborts first. */
  acquire(signal?: AbortSignal): Promise<T>;
  release(slot: T): void;
  stats(): { size: number; busy: number; queued: number };
}

interface Waiter<T> {
  resolve(slot: T): void;
  reject(err: unknown): void;
  cleanup(): void;
}

export function createSlotPool<T>(slots: readonly T[], maxQueued: number): SlotPool<T> {
  const free = [...slots];
  const waiters: Waiter<T>[] = [];

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const slot = free.shift();
      if (slot !== undefined) return Promise.resolve(slot);
      if (waiters.length >= maxQueued)
        return Promise.reject(
          new AirlockError('gateway_overloaded', { detail: 'worker queue full', retryAfter: 1 }),
        );
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(signal?.reason);
        };
        const waiter: Waiter<T> = {
          resolve,
          reject,
          cleanup: () => signal?.removeEventListener('abort', onAbort),
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    release(slot) {
      const next = waiters.shift();
      if (!next) {
        free.push(slot);
        return;
      }
      next.cleanup();
      next.resolve(slot);
    },
    stats: () => ({ size: slots.length, busy: slots.length - free.length, queued: waiters.length }),
  };
}
