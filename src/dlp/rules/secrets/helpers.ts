// Pattern builders shared by the credential rule families (RE2 syntax).

import type { Severity } from '../../types.ts';
import type { SecretRule } from '../secret-rule.ts';

/** A token with a distinctive prefix: word boundary before, a non-token character (or end) after. */
export function token(body: string, tail = '[A-Za-z0-9_-]'): string {
  return String.raw`(?:^|[^A-Za-z0-9_-])(?P<secret>${body})(?:[^` + tail.slice(1, -1) + ']|$)';
}

/** A value recognisable only by a nearby identifier, e.g. `datadog_api_key = "<32 hex>"`.
 *  Identifiers match case-insensitively; the value's own classes keep their case. */
export function contextual(identifiers: readonly string[], secret: string): string {
  return (
    String.raw`(?i:${identifiers.join('|')})[\w.-]{0,25}?[\s'"\x60]{0,3}(?:=|>|:=|::|:|=>|,|\?=|\s(?:is|was)\s)[\s'"\x60=]{0,5}` +
    String.raw`(?P<secret>${secret})(?:[\s'"\x60;,)}\]]|\\[nrt]|\.(?:\s|$)|$)`
  );
}

/** Quote-wrapped assignment context for examples: `name = "value"`. */
export function assign(name: string, value: string): string {
  return `${name} = "${value}"`;
}

function escapeLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

interface PrefixedSpec {
  readonly id: string;
  readonly description: string;
  /** Literal prefix, e.g. `shpat_`; also the prefilter keyword. */
  readonly prefix: string;
  /** RE2 for what follows the prefix. */
  readonly body: string;
  /** A synthetic body matching `body`, for the examples. */
  readonly sample: string;
  readonly severity?: Severity;
  readonly type?: string;
  readonly tail?: string;
}

/** A rule for a token that starts with a distinctive literal prefix. */
export function prefixed(spec: PrefixedSpec): SecretRule {
  const full = spec.prefix + spec.sample;
  return {
    id: spec.id,
    ...(spec.type === undefined ? {} : { type: spec.type }),
    description: spec.description,
    keywords: [spec.prefix.toLowerCase()],
    pattern: token(escapeLiteral(spec.prefix) + spec.body, spec.tail),
    minEntropy: 3,
    severity: spec.severity ?? 'critical',
    examples: {
      positive: [`key: ${full}`, `{"token":"${full}"}`],
      negative: [`${spec.prefix}short`, `${spec.prefix}${'a'.repeat(spec.sample.length)}`],
    },
  };
}

interface ContextSpec {
  readonly id: string;
  readonly description: string;
  /** Identifier regexes (case-insensitive), e.g. `datadog[\\w.-]{0,20}api_?key`. */
  readonly names: readonly string[];
  readonly keywords: readonly string[];
  readonly value: string;
  /** An identifier and a synthetic value for the positive example. */
  readonly sampleName: string;
  readonly sample: string;
  readonly severity?: Severity;
  readonly minEntropy?: number;
}

/** A rule for a value recognisable only next to its identifier. */
export function named(spec: ContextSpec): SecretRule {
  return {
    id: spec.id,
    description: spec.description,
    keywords: spec.keywords,
    pattern: contextual(spec.names, spec.value),
    minEntropy: spec.minEntropy ?? 3,
    severity: spec.severity ?? 'high',
    examples: {
      positive: [assign(spec.sampleName, spec.sample), `${spec.sampleName}: ${spec.sample}`],
      negative: [
        assign(spec.sampleName, 'x'.repeat(spec.sample.length)),
        assign(spec.sampleName, `\${` + spec.sampleName + '}'),
      ],
    },
  };
}
