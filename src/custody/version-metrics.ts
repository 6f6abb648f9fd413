// Per model version metrics (issue 9): what each approved version did — requests, upstream errors,
// time to first token, tokens/s — so a rollback decision rests on numbers. Two outputs from one
// sample: Prometheus series `airlock_model_version_*` labelled by `name@version` (cardinality
// bounded: the first `maxVersions` versions seen get their own label, later ones share "other",
// targets outside the inventory are "unverified"), and hourly aggregates merged into custody.db every
// `flushMs` (and at close) for `airlock models compare`. Observing is a map update; nothing here
// touches the disk on the request path.
import { Counter, Histogram, type Registry } from 'prom-client';
import {
  emptyAggregate,
  hourOf,
  TTFT_BUCKETS_MS,
  type VersionAggregate,
  type VersionStatsRepo,
} from './version-stats-sqlite.ts';

export interface VersionSample {
  /** `name@version` and digest of the version that served, or undefined outside the inventory. */
  readonly version: { readonly id: string; readonly digest: string } | undefined;
  /** false when the upstream failed (5xx, timeout, broken stream); client aborts are not sampled. */
  readonly ok: boolean;
  /** Streamed answers only: request sent → first content chunk. */
  readonly ttftMs?: number;
  readonly completionTokens: number;
  /** Tokens/s is decodeTokens ÷ decodeMs (after the first token for streams, whole call for JSON). */
  readonly decodeTokens: number;
  readonly decodeMs: number;
}

export interface VersionMetrics {
  observe(sample: VersionSample): void;
  /** Merges what was observed since the last flush into the store. */
  flush(): void;
  close(): void;
}

export function createVersionMetrics(deps: {
  readonly registry: Registry;
  readonly store?: VersionStatsRepo;
  readonly maxVersions?: number;
  readonly flushMs?: number;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}): VersionMetrics {
  const now = deps.now ?? Date.now;
  const maxVersions = deps.maxVersions ?? 32;
  const labelled = new Set<string>();
  const labelFor = (id: string | undefined): string => {
    if (id === undefined) return 'unverified';
    if (labelled.has(id)) return id;
    if (labelled.size >= maxVersions) return 'other';
    labelled.add(id);
    return id;
  };
  const requests = new Counter({
    name: 'airlock_model_version_requests_total',
    help: 'Upstream calls per model version (name@version) and outcome (ok, error: the upstream failed).',
    labelNames: ['version', 'outcome'],
    registers: [deps.registry],
  });
  const ttft = new Histogram({
    name: 'airlock_model_version_ttft_seconds',
    help: 'Time to first token of streamed answers per model version.',
    labelNames: ['version'],
    buckets: TTFT_BUCKETS_MS.map((ms) => ms / 1000),
    registers: [deps.registry],
  });
  const tokensPerSecond = new Histogram({
    name: 'airlock_model_version_tokens_per_second',
    help: 'Generation speed per answer and model version (completion tokens after the first ÷ time after the first token; whole call for non-streamed answers).',
    labelNames: ['version'],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [deps.registry],
  });
  const tokens = new Counter({
    name: 'airlock_model_version_completion_tokens_total',
    help: 'Completion tokens per model version.',
    labelNames: ['version'],
    registers: [deps.registry],
  });

  // The labelled children per version, made once: no label hashing per sample.
  const children = new Map<
    string,
    {
      ok: Counter.Internal;
      error: Counter.Internal;
      ttft: Histogram.Internal<string>;
      tps: Histogram.Internal<string>;
      tokens: Counter.Internal;
    }
  >();
  const childrenOf = (label: string) => {
    let c = children.get(label);
    if (!c) {
      c = {
        ok: requests.labels(label, 'ok'),
        error: requests.labels(label, 'error'),
        ttft: ttft.labels(label),
        tps: tokensPerSecond.labels(label),
        tokens: tokens.labels(label),
      };
      children.set(label, c);
    }
    return c;
  };

  let pending = new Map<string, VersionAggregate>();
  let pendingHour = hourOf(now());

  function flush(): void {
    if (!deps.store || pending.size === 0) return;
    const batch = [...pending.values()];
    const hour = pendingHour;
    pending = new Map();
    try {
      deps.store.add(hour, batch);
    } catch (err) {
      deps.onError?.(err);
    }
  }

  const timer = deps.store ? setInterval(flush, deps.flushMs ?? 10_000) : undefined;
  timer?.unref();

  return {
    observe(s) {
      const c = childrenOf(labelFor(s.version?.id));
      (s.ok ? c.ok : c.error).inc();
      if (s.ttftMs !== undefined) c.ttft.observe(s.ttftMs / 1000);
      if (s.completionTokens > 0) c.tokens.inc(s.completionTokens);
      if (s.decodeTokens > 0 && s.decodeMs > 0) c.tps.observe((s.decodeTokens * 1000) / s.decodeMs);
      if (!s.version || !deps.store) return;
      // An hour boundary flushes what belongs to the previous hour first.
      const hour = hourOf(now());
      if (hour !== pendingHour) {
        flush();
        pendingHour = hour;
      }
      let a = pending.get(s.version.id);
      if (!a) {
        a = emptyAggregate(s.version.id, s.version.digest);
        pending.set(s.version.id, a);
      }
      a.requests++;
      if (!s.ok) a.errors++;
      if (s.ttftMs !== undefined) {
        a.ttftCount++;
        a.ttftMsSum += s.ttftMs;
        const i = TTFT_BUCKETS_MS.findIndex((b) => s.ttftMs! <= b);
        a.ttftBuckets[i === -1 ? TTFT_BUCKETS_MS.length : i]! += 1;
      }
      if (s.decodeTokens > 0 && s.decodeMs > 0) {
        a.decodeTokens += s.decodeTokens;
        a.decodeMsSum += s.decodeMs;
      }
      a.completionTokens += s.completionTokens;
    },
    flush,
    close() {
      if (timer) clearInterval(timer);
      flush();
    },
  };
}
