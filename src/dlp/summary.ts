// The findings summary a policy decision sees (`context.findings` in Cedar) and the authorize trail
// records: types, count and two flags — derived from findings, never from the values.
import type { Finding } from './types.ts';

export interface FindingsSummary {
  /** Distinct finding types, sorted (EMAIL, AWS_ACCESS_KEY …). */
  readonly types: readonly string[];
  readonly count: number;
  /** A secret-category finding (a credential) is present. */
  readonly hasCredential: boolean;
  /** A personal-data finding is present. */
  readonly hasPii: boolean;
}

export const NO_FINDINGS: FindingsSummary = Object.freeze({
  types: Object.freeze([]) as readonly string[],
  count: 0,
  hasCredential: false,
  hasPii: false,
});

export function summarizeFindings(findings: readonly Pick<Finding, 'type' | 'category'>[]): FindingsSummary {
  if (findings.length === 0) return NO_FINDINGS;
  const types = new Set<string>();
  let hasCredential = false;
  let hasPii = false;
  for (const f of findings) {
    types.add(f.type);
    if (f.category === 'secret') hasCredential = true;
    else if (f.category === 'pii') hasPii = true;
  }
  return { types: [...types].sort(), count: findings.length, hasCredential, hasPii };
}
