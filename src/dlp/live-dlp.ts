// The DLP in force, swappable as a whole (an approved config change to `dlp`, issue 6). A snapshot is
// an engine and the action resolver built from the same config: both are compiled completely before
// the swap, so a config that does not compile never replaces a working one (and is refused earlier,
// when it is proposed: `compileDlp` is the proposal-time check). Readers take one snapshot per
// request (src/http/stages/request-dlp.ts pins it to the request context), so a request in flight —
// a stream too — finishes with the rules it started with; the next request gets the new ones.
import type { DlpConfig } from './config.ts';
import { createDlpEngine, type DlpEngine } from './engine.ts';
import { type ActionResolver, createActionResolver } from './overrides.ts';

export interface DlpSnapshot {
  readonly engine: DlpEngine;
  readonly actions: ActionResolver;
}

export interface LiveDlp extends DlpSnapshot {
  /** The snapshot new requests use. */
  current(): DlpSnapshot;
  /** Compiles `config` fully, then makes it current; throws (config_invalid) and keeps the old one
   *  when it does not compile. */
  swap(config: DlpConfig): DlpSnapshot;
  /** Called after each swap with the new snapshot (the log redactor follows the rules in force). */
  onSwap(listener: (next: DlpSnapshot) => void): void;
}

/** Engine and action resolver from one config; throws config_invalid naming the problem. */
export function compileDlp(config: DlpConfig | undefined): DlpSnapshot {
  const engine = createDlpEngine(config);
  return Object.freeze({ engine, actions: createActionResolver(engine.config) });
}

export function createLiveDlp(initial: DlpSnapshot): LiveDlp {
  let now = initial;
  const listeners: ((next: DlpSnapshot) => void)[] = [];
  return {
    // `engine` / `actions` read the current snapshot, for callers without a request; per-request
    // readers (progress messages included) use `current()` once.
    get engine() {
      return now.engine;
    },
    get actions() {
      return now.actions;
    },
    current: () => now,
    swap(config) {
      const next = compileDlp(config);
      now = next;
      for (const l of listeners) l(next);
      return next;
    },
    onSwap(listener) {
      listeners.push(listener);
    },
  };
}
