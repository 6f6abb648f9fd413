// Overlapping findings collapse into one: the more specific rule wins (a GitHub token inside a
// `token = "..."` assignment is a GITHUB_PAT, not a GENERIC_SECRET), then the higher severity, then
// the longer span. The survivor takes the union of the spans so redaction never leaves a fragment.
import type { Finding, Severity } from './types.ts';

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export interface Candidate extends Finding {
  readonly generic: boolean;
}

function better(a: Candidate, b: Candidate): Candidate {
  if (a.generic !== b.generic) return a.generic ? b : a;
  if (RANK[a.severity] !== RANK[b.severity]) return RANK[a.severity] > RANK[b.severity] ? a : b;
  return b.end - b.start > a.end - a.start ? b : a;
}

function strip(c: Candidate, start: number, end: number): Finding {
  return {
    type: c.type,
    ruleId: c.ruleId,
    category: c.category,
    severity: c.severity,
    start,
    end,
    field: c.field,
  };
}

export function dedupe(candidates: Candidate[]): Finding[] {
  if (candidates.length === 0) return [];
  const sorted = [...candidates].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Finding[] = [];
  let best = sorted[0]!;
  let start = best.start;
  let end = best.end;
  for (let i = 1; i < sorted.length; i++) {
    const c = sorted[i]!;
    if (c.start < end) {
      best = better(best, c);
      if (c.end > end) end = c.end;
      continue;
    }
    out.push(strip(best, start, end));
    best = c;
    start = c.start;
    end = c.end;
  }
  out.push(strip(best, start, end));
  return out;
}
