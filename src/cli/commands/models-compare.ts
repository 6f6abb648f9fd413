// `airlock models compare A B [--since 24h]`: two model versions side by side — requests, error rate,
// time to first token (mean, p95), tokens/s — with the deltas, read offline from the hourly
// aggregates the gateway keeps in custody.db. The numbers a rollback decision rests on.
import type { Inventory } from '../../custody/inventory.ts';
import { custodyDbPath } from '../../custody/open.ts';
import type { ModelVersion } from '../../custody/types.ts';
import {
  hourOf,
  openSqliteVersionStats,
  TTFT_BUCKETS_MS,
  type VersionAggregate,
} from '../../custody/version-stats-sqlite.ts';
import { AirlockError } from '../../errors.ts';

export interface VersionSummary {
  readonly id: string;
  readonly digest: string;
  readonly state: string;
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number | null;
  readonly ttftMeanMs: number | null;
  /** Upper bound of the bucket holding the 95th percentile (null above the last bucket). */
  readonly ttftP95Ms: number | null;
  readonly tokensPerSecond: number | null;
  readonly completionTokens: number;
}

function p95(buckets: readonly number[]): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i]!;
    if (seen >= 0.95 * total) return TTFT_BUCKETS_MS[i] ?? null;
  }
  return null;
}

export function summarise(v: ModelVersion, a: VersionAggregate | undefined): VersionSummary {
  return {
    id: v.id,
    digest: v.digest,
    state: v.state,
    requests: a?.requests ?? 0,
    errors: a?.errors ?? 0,
    errorRate: a && a.requests > 0 ? a.errors / a.requests : null,
    ttftMeanMs: a && a.ttftCount > 0 ? a.ttftMsSum / a.ttftCount : null,
    ttftP95Ms: a ? p95(a.ttftBuckets) : null,
    tokensPerSecond: a && a.decodeMsSum > 0 ? (a.decodeTokens * 1000) / a.decodeMsSum : null,
    completionTokens: a?.completionTokens ?? 0,
  };
}

const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);

export function compareVersions(
  inventory: Inventory,
  dataDir: string,
  refs: readonly [string, string],
  sinceMs: number,
  now = Date.now(),
) {
  const versions = refs.map((r) => {
    const v = inventory.get(r) ?? inventory.resolveAlias(r);
    if (!v) throw new AirlockError('model_transition_refused', { detail: `no model version or alias ${r}` });
    return v;
  }) as [ModelVersion, ModelVersion];
  const since = hourOf(now - sinceMs);
  const stats = openSqliteVersionStats(custodyDbPath(dataDir));
  try {
    const [a, b] = versions.map((v) => summarise(v, stats.read(v.id, since))) as [
      VersionSummary,
      VersionSummary,
    ];
    return {
      since,
      a,
      b,
      delta: {
        requests: b.requests - a.requests,
        errorRate: delta(a.errorRate, b.errorRate),
        ttftMeanMs: delta(a.ttftMeanMs, b.ttftMeanMs),
        ttftP95Ms: delta(a.ttftP95Ms, b.ttftP95Ms),
        tokensPerSecond: delta(a.tokensPerSecond, b.tokensPerSecond),
      },
    };
  } finally {
    stats.close();
  }
}

export function formatComparison(c: ReturnType<typeof compareVersions>): string {
  const num = (x: number | null, unit = '', digits = 1) => (x === null ? '-' : `${x.toFixed(digits)}${unit}`);
  const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
  const signed = (x: number | null, unit = '', digits = 1) =>
    x === null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}${unit}`;
  const rel = (a: number | null, b: number | null) =>
    a === null || b === null || a === 0 ? '' : ` (${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%)`;
  const rows: [string, string, string, string][] = [
    ['', c.a.id, c.b.id, 'delta (B - A)'],
    ['state', c.a.state, c.b.state, ''],
    ['requests', String(c.a.requests), String(c.b.requests), signed(c.delta.requests, '', 0)],
    [
      'error rate',
      pct(c.a.errorRate),
      pct(c.b.errorRate),
      c.delta.errorRate === null ? '-' : `${signed(c.delta.errorRate * 100, ' pp', 2)}`,
    ],
    [
      'ttft mean',
      num(c.a.ttftMeanMs, ' ms'),
      num(c.b.ttftMeanMs, ' ms'),
      `${signed(c.delta.ttftMeanMs, ' ms')}${rel(c.a.ttftMeanMs, c.b.ttftMeanMs)}`,
    ],
    [
      'ttft p95 ≤',
      num(c.a.ttftP95Ms, ' ms', 0),
      num(c.b.ttftP95Ms, ' ms', 0),
      signed(c.delta.ttftP95Ms, ' ms', 0),
    ],
    [
      'tokens/s',
      num(c.a.tokensPerSecond),
      num(c.b.tokensPerSecond),
      `${signed(c.delta.tokensPerSecond)}${rel(c.a.tokensPerSecond, c.b.tokensPerSecond)}`,
    ],
  ];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    `${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2].padEnd(w[2]!)}  ${r[3]}`.trimEnd(),
  );
  return `since ${c.since}\n${lines.join('\n')}\n`;
}
