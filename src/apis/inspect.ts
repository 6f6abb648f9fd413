// DLP over arbitrary JSON (REST request parts and responses): every string value and every object
// key is scanned, findings are labelled by where they sit (`body.items[0].note`), and the verdict
// of the action policy is applied — block, or redact in a copy. Values never leave this function
// except as the redacted copy.

import type { Actions } from '../dlp/actions.ts';
import { decide } from '../dlp/actions.ts';
import type { DlpEngine } from '../dlp/engine.ts';
import { applyRedactions } from '../dlp/redact.ts';
import type { Direction, Finding } from '../dlp/types.ts';

export interface JsonInspection {
  /** The value with redactions applied (the input itself when nothing was redacted). */
  readonly value: unknown;
  readonly findings: readonly Finding[];
  /** Findings whose action is block (empty when the value may pass). */
  readonly blocking: readonly Finding[];
}

/** Deepest level inspected; deeper values are refused by the validators before they get here. */
const MAX_DEPTH = 128;
const SAFE_KEY = /^[A-Za-z0-9_$-]{1,64}$/;

export function inspectJson(
  engine: DlpEngine,
  value: unknown,
  field: string,
  direction: Direction,
  actions?: Actions,
): JsonInspection {
  const findings: Finding[] = [];
  const blocking: Finding[] = [];
  const text = (s: string, at: string): string => {
    const found = engine.scan(s, at);
    if (found.length === 0) return s;
    findings.push(...found);
    const verdict = decide(found, direction, actions);
    if (verdict.kind === 'block') {
      blocking.push(...verdict.blocking);
      return s;
    }
    return verdict.kind === 'redact' ? applyRedactions(s, verdict.redactions).text : s;
  };
  const walk = (v: unknown, at: string, depth: number): unknown => {
    if (typeof v === 'string') return text(v, at);
    if (typeof v !== 'object' || v === null) return v;
    if (depth > MAX_DEPTH) throw new Error(`inspect: value nested deeper than ${MAX_DEPTH}`);
    if (Array.isArray(v)) {
      let changed = false;
      const out = v.map((item, i) => {
        const next = walk(item, `${at}[${i}]`, depth + 1);
        if (next !== item) changed = true;
        return next;
      });
      return changed ? out : v;
    }
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) {
      const before = findings.length;
      const key = text(k, `${at}{key}`);
      // Labels go into audit entries: a key that held a finding, or an odd one, is not echoed.
      const label = findings.length === before && SAFE_KEY.test(k) ? k : '*';
      const next = walk(item, `${at}.${label}`, depth + 1);
      if (key !== k || next !== item) changed = true;
      out[key] = next;
    }
    return changed ? out : v;
  };
  const redacted = walk(value, field, 0);
  return { value: redacted, findings, blocking };
}
