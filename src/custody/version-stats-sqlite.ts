// Per model version, per hour rolling aggregates (requests, errors, time to first token, tokens/s) in
// custody.db next to the inventory, so `airlock models compare` reads them offline without a running
// gateway. The gateway folds samples in memory and merges them here every few seconds and at close:
// the request path never waits on this file. Sums and bucket counts only — means and percentiles are
// derived when read, so merging two flushes (or two processes) is exact.
import type Database from 'better-sqlite3';
import { AirlockError } from '../errors.ts';
import { openPrivateSqliteFile } from '../store/private-sqlite-file.ts';

/** Upper bounds (ms) of the time-to-first-token buckets; the last bucket is everything above. */
export const TTFT_BUCKETS_MS = [25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000] as const;

export interface VersionAggregate {
  readonly versionId: string;
  readonly digest: string;
  requests: number;
  errors: number;
  /** Requests with a first-token sample (streamed answers). */
  ttftCount: number;
  ttftMsSum: number;
  /** Counts per TTFT_BUCKETS_MS bucket, plus one overflow bucket. */
  ttftBuckets: number[];
  /** Completion tokens that tokens/s is computed over, and the time they took. */
  decodeTokens: number;
  decodeMsSum: number;
  completionTokens: number;
}

export function emptyAggregate(versionId: string, digest: string): VersionAggregate {
  return {
    versionId,
    digest,
    requests: 0,
    errors: 0,
    ttftCount: 0,
    ttftMsSum: 0,
    ttftBuckets: new Array(TTFT_BUCKETS_MS.length + 1).fill(0),
    decodeTokens: 0,
    decodeMsSum: 0,
    completionTokens: 0,
  };
}

export function mergeInto(into: VersionAggregate, from: VersionAggregate): void {
  into.requests += from.requests;
  into.errors += from.errors;
  into.ttftCount += from.ttftCount;
  into.ttftMsSum += from.ttftMsSum;
  from.ttftBuckets.forEach((n, i) => {
    into.ttftBuckets[i] = (into.ttftBuckets[i] ?? 0) + n;
  });
  into.decodeTokens += from.decodeTokens;
  into.decodeMsSum += from.decodeMsSum;
  into.completionTokens += from.completionTokens;
}

export interface VersionStatsRepo {
  /** Adds each aggregate to its (hour, version) row in one transaction. */
  add(hour: string, aggregates: readonly VersionAggregate[]): void;
  /** Sum of every row of `versionId` from hours starting at or after `sinceHour`. */
  read(versionId: string, sinceHour: string): VersionAggregate | undefined;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS model_version_stats (
  hour TEXT NOT NULL,
  version_id TEXT NOT NULL,
  digest TEXT NOT NULL,
  requests INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  ttft_count INTEGER NOT NULL,
  ttft_ms_sum REAL NOT NULL,
  ttft_buckets TEXT NOT NULL,
  decode_tokens INTEGER NOT NULL,
  decode_ms_sum REAL NOT NULL,
  completion_tokens INTEGER NOT NULL,
  PRIMARY KEY (hour, version_id)
);`;

interface Row {
  version_id: string;
  digest: string;
  requests: number;
  errors: number;
  ttft_count: number;
  ttft_ms_sum: number;
  ttft_buckets: string;
  decode_tokens: number;
  decode_ms_sum: number;
  completion_tokens: number;
}

const fromRow = (r: Row): VersionAggregate => ({
  versionId: r.version_id,
  digest: r.digest,
  requests: r.requests,
  errors: r.errors,
  ttftCount: r.ttft_count,
  ttftMsSum: r.ttft_ms_sum,
  ttftBuckets: JSON.parse(r.ttft_buckets) as number[],
  decodeTokens: r.decode_tokens,
  decodeMsSum: r.decode_ms_sum,
  completionTokens: r.completion_tokens,
});

/** The hour an instant falls in, as the ISO string of its start (`2026-11-22T05:00:00.000Z`). */
export function hourOf(ms: number): string {
  return new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString();
}

export function openSqliteVersionStats(path: string): VersionStatsRepo {
  let db: Database.Database;
  try {
    // Derived statistics, not evidence: a lost last flush is acceptable.
    db = openPrivateSqliteFile(path, 'NORMAL');
    db.exec(SCHEMA);
  } catch (err) {
    throw new AirlockError('store_unavailable', { detail: `custody stats: cannot open ${path}`, cause: err });
  }
  const get = db.prepare('SELECT * FROM model_version_stats WHERE hour = ? AND version_id = ?');
  const put = db.prepare(
    `INSERT INTO model_version_stats (hour, version_id, digest, requests, errors, ttft_count, ttft_ms_sum, ttft_buckets, decode_tokens, decode_ms_sum, completion_tokens)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (hour, version_id) DO UPDATE SET requests = excluded.requests, errors = excluded.errors,
       ttft_count = excluded.ttft_count, ttft_ms_sum = excluded.ttft_ms_sum, ttft_buckets = excluded.ttft_buckets,
       decode_tokens = excluded.decode_tokens, decode_ms_sum = excluded.decode_ms_sum,
       completion_tokens = excluded.completion_tokens`,
  );
  const since = db.prepare('SELECT * FROM model_version_stats WHERE version_id = ? AND hour >= ?');
  const add = db.transaction((hour: string, aggregates: readonly VersionAggregate[]) => {
    for (const a of aggregates) {
      const row = get.get(hour, a.versionId) as Row | undefined;
      const total = row ? fromRow(row) : emptyAggregate(a.versionId, a.digest);
      mergeInto(total, a);
      put.run(
        hour,
        a.versionId,
        a.digest,
        total.requests,
        total.errors,
        total.ttftCount,
        total.ttftMsSum,
        JSON.stringify(total.ttftBuckets),
        total.decodeTokens,
        total.decodeMsSum,
        total.completionTokens,
      );
    }
  });
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new AirlockError('store_unavailable', {
        detail: `custody stats: sqlite error: ${(err as Error).message}`,
        cause: err,
      });
    }
  };
  return {
    add: (hour, aggregates) => guard(() => add.immediate(hour, aggregates)),
    read(versionId, sinceHour) {
      const rows = guard(() => since.all(versionId, sinceHour) as Row[]);
      if (rows.length === 0) return undefined;
      const total = emptyAggregate(versionId, rows[0]!.digest);
      for (const r of rows) mergeInto(total, fromRow(r));
      return total;
    },
    close: () => db.close(),
  };
}
