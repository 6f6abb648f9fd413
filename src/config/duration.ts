// Durations as the config writes them (`500ms`, `30s`, `15m`, `24h`, `90d`). Kept apart from the
// schema so any plane can parse a duration without importing the whole config schema (which imports
// every plane's schema in turn).
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parse a duration string into milliseconds. */
export function durationMs(value: string): number {
  const m = DURATION_PATTERN.exec(value);
  if (!m) throw new Error(`invalid duration ${value}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
