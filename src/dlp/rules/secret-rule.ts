// The shape of one credential rule and its compilation to an RE2-backed detector.
// Rules are data: a pattern, keywords for the prefilter, optional validation, and examples that run
// as unit tests (rules.test.ts), in the manner of gitleaks' rule set.
import RE2 from 're2';
import { shannonEntropy } from '../entropy.ts';
import type { Detector, FindingCategory, RawMatch, RuleExamples, Severity } from '../types.ts';

export interface SecretRule {
  /** Stable kebab-case id, e.g. `aws-access-key-id`; what operators `disable`. */
  readonly id: string;
  /** Finding type; defaults to the id in upper snake case. */
  readonly type?: string;
  readonly description: string;
  /** Lower-case literals; at least one must occur (case-insensitively) for the rule to run. */
  readonly keywords: readonly string[];
  /** RE2 syntax. A named group `secret` marks the sensitive span; otherwise the whole match is. */
  readonly pattern: string;
  /** Minimum Shannon entropy (bits/char) of the sensitive span. */
  readonly minEntropy?: number;
  /** Extra check on the sensitive span (a checksum): false drops the candidate; a number keeps only
   *  that many leading characters (e.g. a valid IBAN followed by more letter/digit groups). */
  readonly validate?: (secret: string) => boolean | number;
  readonly severity: Severity;
  /** Generic rules lose overlaps to specific ones. */
  readonly generic?: boolean;
  readonly category?: FindingCategory;
  readonly examples: RuleExamples;
}

/** PII and custom detectors share the shape of credential rules. */
export type PatternRule = SecretRule;

export function typeFromId(id: string): string {
  return id.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** Every compiled pattern is an RE2 instance: linear-time matching on untrusted input (no ReDoS). */
export function compilePattern(source: string, flags = 'gd'): RE2 {
  return new RE2(source, flags);
}

/** Runs `re` over `text`, yielding the span of group `secret` (or the whole match) for each hit. */
export function* spans(re: RE2, text: string): Generator<RawMatch> {
  re.lastIndex = 0;
  for (;;) {
    const m = re.exec(text);
    if (m === null) return;
    const span = m.indices?.groups?.['secret'] ?? m.indices?.[0];
    // Resume right after the sensitive span, not after the whole match: a pattern's trailing
    // boundary character may be the leading boundary of the next value ("a@x.io b@y.io").
    re.lastIndex = Math.max(span?.[1] ?? 0, m.index + 1);
    if (span === undefined) continue;
    yield { start: span[0], end: span[1] };
  }
}

export function compileSecretRule(rule: SecretRule): Detector {
  const re = compilePattern(rule.pattern);
  const { minEntropy, validate } = rule;
  return {
    id: rule.id,
    type: rule.type ?? typeFromId(rule.id),
    category: rule.category ?? 'secret',
    severity: rule.severity,
    generic: rule.generic ?? false,
    keywords: rule.keywords,
    trigger: rule.keywords.length === 0 ? rule.pattern : undefined,
    regexes: [re],
    find(text: string): RawMatch[] {
      const out: RawMatch[] = [];
      for (const span of spans(re, text)) {
        if (span.end <= span.start) continue;
        let end = span.end;
        if (minEntropy !== undefined || validate !== undefined) {
          const secret = text.slice(span.start, span.end);
          if (minEntropy !== undefined && shannonEntropy(secret) < minEntropy) continue;
          const verdict = validate === undefined ? true : validate(secret);
          if (verdict === false) continue;
          if (typeof verdict === 'number') end = span.start + verdict;
        }
        out.push({ start: span.start, end });
      }
      return out;
    },
  };
}
