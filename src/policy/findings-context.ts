// `context.findings` for Cedar: the inbound DLP summary (types, count, hasCredential, hasPii),
// projected to the attributes the slice's policies read, so a policy on `types` alone does not
// split the decision cache by `count`. Absent findings are the empty summary (the schema makes the
// record required, so `context.findings.types.contains("EMAIL")` validates without a `has` guard).
import type { CedarValueJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { FindingsSummary } from '../dlp/summary.ts';
import type { References } from './references.ts';

export function findingsContext(summary: FindingsSummary | undefined, refs: References): CedarValueJson {
  const read = refs.context === 'all' ? 'all' : (refs.contextAttrs.get('findings') ?? 'all');
  const want = (k: string) => read === 'all' || read.has(k);
  const out: Record<string, CedarValueJson> = {};
  if (want('types')) out.types = summary ? [...summary.types] : [];
  if (want('count')) out.count = summary?.count ?? 0;
  if (want('hasCredential')) out.hasCredential = summary?.hasCredential ?? false;
  if (want('hasPii')) out.hasPii = summary?.hasPii ?? false;
  return out;
}
