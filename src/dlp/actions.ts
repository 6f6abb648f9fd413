// What to do about findings. Secure defaults: a secret headed to a model or tool is blocked
// (it must not leave the boundary of trust it was typed in), a secret coming back is redacted,
// PII is reported (alert) so policy can decide, site-defined terms are redacted both ways.
import type { ActionPolicy } from './config.ts';
import type { Redaction } from './redact.ts';
import type { Direction, DlpAction, Finding, FindingCategory } from './types.ts';

export const defaultActions: Record<Direction, Record<FindingCategory, DlpAction>> = {
  input: { secret: 'block', pii: 'alert', custom: 'redact' },
  output: { secret: 'redact', pii: 'alert', custom: 'redact' },
};

const EMPTY_POLICY: ActionPolicy = { categories: {}, types: {} };

export function resolveAction(
  finding: Finding,
  direction: Direction,
  policy: ActionPolicy = EMPTY_POLICY,
): DlpAction {
  return (
    policy.types[finding.type]?.[direction] ??
    policy.categories[finding.category]?.[direction] ??
    defaultActions[direction][finding.category]
  );
}

/** The inspect stage's result: pass | redact | block, plus what to alert on. */
export type Verdict =
  | { readonly kind: 'pass'; readonly alerts: readonly Finding[] }
  | {
      readonly kind: 'redact';
      readonly redactions: readonly Redaction[];
      readonly alerts: readonly Finding[];
    }
  | { readonly kind: 'block'; readonly blocking: readonly Finding[]; readonly alerts: readonly Finding[] };

export function decide(
  findings: readonly Finding[],
  direction: Direction,
  policy: ActionPolicy = EMPTY_POLICY,
): Verdict {
  const blocking: Finding[] = [];
  const redactions: Redaction[] = [];
  const alerts: Finding[] = [];
  for (const f of findings) {
    const action = resolveAction(f, direction, policy);
    if (action === 'block') blocking.push(f);
    else if (action === 'redact' || action === 'mask')
      redactions.push({ start: f.start, end: f.end, type: f.type, mode: action });
    else alerts.push(f);
  }
  if (blocking.length > 0) return { kind: 'block', blocking, alerts };
  if (redactions.length > 0) return { kind: 'redact', redactions, alerts };
  return { kind: 'pass', alerts };
}
