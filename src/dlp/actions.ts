// What to do about findings. Secure defaults: a secret headed to a model or tool is blocked
// (it must not leave the boundary of trust it was typed in), a secret coming back is redacted,
// PII is reported (alert) so policy can decide, site-defined terms are redacted both ways.
// A request's actions are layers (a matching override, then `dlp.actions`) consulted in order,
// per type before per category within a layer, falling through to these defaults.
import type { ActionPolicy } from './config.ts';
import type { Redaction } from './redact.ts';
import type { Direction, DlpAction, Finding, FindingCategory } from './types.ts';

export const defaultActions: Record<Direction, Record<FindingCategory, DlpAction>> = {
  input: { secret: 'block', pii: 'alert', custom: 'redact' },
  output: { secret: 'redact', pii: 'alert', custom: 'redact' },
};

/** One action policy, or layers of them (first layer that says something wins). */
export type Actions = ActionPolicy | readonly ActionPolicy[];

export function resolveAction(
  finding: Pick<Finding, 'type' | 'category'>,
  direction: Direction,
  policy?: Actions,
): DlpAction {
  const layers: readonly ActionPolicy[] =
    policy === undefined ? [] : Array.isArray(policy) ? policy : [policy as ActionPolicy];
  for (const layer of layers) {
    const a = layer.types[finding.type]?.[direction] ?? layer.categories[finding.category]?.[direction];
    if (a !== undefined) return a;
  }
  return defaultActions[direction][finding.category];
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

export function decide(findings: readonly Finding[], direction: Direction, policy?: Actions): Verdict {
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
