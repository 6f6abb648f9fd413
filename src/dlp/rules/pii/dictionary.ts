// Site-defined sensitive terms (project code names, customer names, classification markings).
// Case-insensitive, whole-word, compiled once into one RE2 alternation; each term is also a
// prefilter keyword, so the detector runs only when one of its terms occurs.
import type { FindingCategory, Severity } from '../../types.ts';
import type { PatternRule } from '../secret-rule.ts';
import { typeFromId } from '../secret-rule.ts';

function escapeTerm(term: string): string {
  return term.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export interface DictionarySpec {
  readonly id: string;
  readonly terms: readonly string[];
  readonly type?: string;
  readonly severity?: Severity;
  readonly category?: FindingCategory;
}

export function dictionaryRule(spec: DictionarySpec): PatternRule {
  const terms = [...new Set(spec.terms.map((t) => t.trim()).filter((t) => t.length > 0))];
  if (terms.length === 0) throw new Error(`dictionary "${spec.id}" has no terms`);
  // Longest first: RE2 alternation prefers the earliest alternative, so "Project Blue Sky" wins
  // over "Project Blue" at the same position.
  terms.sort((a, b) => b.length - a.length);
  // Whitespace inside a term matches any run of whitespace (line-wrapped names).
  const alternation = terms.map((t) => escapeTerm(t).replace(/\s+/g, '\\s+')).join('|');
  return {
    id: spec.id,
    type: spec.type ?? typeFromId(spec.id),
    category: spec.category ?? 'custom',
    description: `Dictionary of ${terms.length} site-defined terms.`,
    keywords: terms.map((t) => t.toLowerCase().split(/\s+/)[0]!),
    pattern: String.raw`(?:^|[^\p{L}\p{N}_])(?P<secret>(?i:${alternation}))(?:[^\p{L}\p{N}_]|$)`,
    severity: spec.severity ?? 'medium',
    examples: { positive: [`about ${terms[0]}.`], negative: [`${terms[0]}x`] },
  };
}
