// The router in force, swappable as a whole (an approved config change to `models` / `upstreams`,
// issue 6). A generation is a router and the adapters it owns. A swap makes the new generation serve
// every alias resolved from then on; a request keeps the generation its alias was resolved on (the
// resolved route object remembers it), so it finishes on the targets, circuit breakers and connection
// pools it started with. The old router's health timers stop at once; the adapters it owned and the
// new generation does not reuse close once its last request in flight has ended (a stream ends when
// its consumer finishes or abandons it).
import type { ResolvedModel, Router, UpstreamAdapter, UpstreamResult } from './types.ts';

export interface RouterGeneration {
  readonly router: Router;
  /** Adapters by upstream name; those also in the next generation are handed over, not closed. */
  readonly adapters: ReadonlyMap<string, UpstreamAdapter>;
}

export interface LiveRouter extends Router {
  /** The generation new requests use. */
  current(): RouterGeneration;
  /** Makes `next` current (started when this router was); retires the old generation. */
  swap(next: RouterGeneration): void;
  /** Resolves when the adapter closes started so far have finished (tests). */
  drained(): Promise<void>;
  /** Shutdown, after close(): every adapter of the current and retired generations. */
  closeAdapters(): Promise<void>;
}

interface Gen extends RouterGeneration {
  inFlight: number;
  retired: boolean;
}

export function createLiveRouter(
  initial: RouterGeneration,
  deps: { onError?: (err: unknown) => void } = {},
): LiveRouter {
  const gen = (g: RouterGeneration): Gen => ({ ...g, inFlight: 0, retired: false });
  let cur = gen(initial);
  let started = false;
  const retiring = new Set<Gen>();
  const closing = new Set<Promise<void>>();
  const closeAll = (adapters: Iterable<UpstreamAdapter>) => {
    const p = Promise.allSettled([...adapters].map((a) => a.close())).then((rs) => {
      for (const r of rs) if (r.status === 'rejected') deps.onError?.(r.reason);
    });
    closing.add(p);
    void p.finally(() => closing.delete(p));
  };
  // Resolved routes are frozen objects made by one router: the route says which generation it is on.
  const owner = new WeakMap<ResolvedModel, Gen>();

  const closeIfDrained = (g: Gen) => {
    if (!g.retired || g.inFlight > 0 || !retiring.has(g)) return;
    retiring.delete(g);
    // An adapter the current or another draining generation still uses is theirs to close.
    const kept = new Set([cur, ...retiring].flatMap((o) => [...o.adapters.values()]));
    closeAll([...g.adapters.values()].filter((a) => !kept.has(a)));
  };
  const done = (g: Gen) => {
    g.inFlight--;
    closeIfDrained(g);
  };
  /** A stream is in flight until its consumer ends it (done, error or return). */
  const tracked = (result: UpstreamResult, g: Gen): UpstreamResult => {
    if (result.kind !== 'stream') {
      done(g);
      return result;
    }
    let finished = false;
    const finish = () => {
      if (!finished) {
        finished = true;
        done(g);
      }
    };
    const chunks: AsyncIterable<Record<string, unknown>> = {
      [Symbol.asyncIterator]() {
        const it = result.chunks[Symbol.asyncIterator]();
        return {
          async next() {
            try {
              const r = await it.next();
              if (r.done) finish();
              return r;
            } catch (err) {
              finish();
              throw err;
            }
          },
          async return(value?: unknown) {
            finish();
            return (await it.return?.(value)) ?? { done: true, value: undefined };
          },
        };
      },
    };
    return { ...result, chunks };
  };

  return {
    current: () => cur,
    resolve(alias) {
      const g = cur;
      const m = g.router.resolve(alias);
      if (m) owner.set(m, g);
      return m;
    },
    async forward(model, call) {
      const g = owner.get(model) ?? cur;
      g.inFlight++;
      let out: Awaited<ReturnType<Router['forward']>>;
      try {
        out = await g.router.forward(model, call);
      } catch (err) {
        done(g);
        throw err;
      }
      return { ...out, result: tracked(out.result, g) };
    },
    health: () => cur.router.health(),
    start() {
      started = true;
      cur.router.start();
    },
    swap(next) {
      const old = cur;
      cur = gen(next);
      if (started) cur.router.start();
      old.retired = true;
      retiring.add(old);
      // Health timers and checks stop now; forwarding on the old router still works for its requests.
      void old.router.close().catch((err) => deps.onError?.(err));
      closeIfDrained(old);
    },
    async drained() {
      await Promise.all([...closing]);
    },
    async close() {
      await Promise.all([...retiring].map((g) => g.router.close()));
      await cur.router.close();
    },
    async closeAdapters() {
      const all = new Set([cur, ...retiring].flatMap((g) => [...g.adapters.values()]));
      retiring.clear();
      closeAll(all);
      await Promise.all([...closing]);
    },
  };
}
