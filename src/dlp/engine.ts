// The DLP engine: compiles every detector once at start-up, then scans text with one prefilter
// pass, the few detectors whose keywords hit, a base64 pass and overlap de-duplication.
import type { CountryCode } from 'libphonenumber-js/max';
import { AirlockError } from '../errors.ts';
import { base64Trigger, createBase64Finder } from './base64.ts';
import { type DlpConfig, type DlpConfigInput, dlpConfigSchema } from './config.ts';
import { type Candidate, dedupe } from './dedupe.ts';
import { checkActionPolicies } from './overrides.ts';
import { createPrefilter, type Prefilter } from './prefilter.ts';
import { prepareText } from './prepared.ts';
import { dictionaryRule } from './rules/pii/dictionary.ts';
import { piiRules } from './rules/pii/index.ts';
import { compileSecretRule, type PatternRule, typeFromId } from './rules/secret-rule.ts';
import { secretRules } from './rules/secrets/index.ts';
import type { Detector, Finding, FindingCategory, Inspector, InspectResult } from './types.ts';

export interface DlpEngine extends Inspector {
  /** The compiled detectors (read-only; for diagnostics and tests). */
  readonly detectors: readonly Detector[];
  readonly prefilter: Prefilter;
  readonly config: DlpConfig;
  /** Findings in `text`, de-duplicated and sorted by position. `field` labels where it came from. */
  scan(text: string, field?: string): Finding[];
}

function invalid(detail: string, cause?: unknown): AirlockError {
  return new AirlockError('config_invalid', { detail: `dlp: ${detail}`, cause });
}

function customRules(config: DlpConfig): PatternRule[] {
  const out: PatternRule[] = [];
  for (const [name, terms] of Object.entries(config.dictionaries)) {
    out.push(dictionaryRule({ id: `dictionary-${name}`, type: typeFromId(name), terms }));
  }
  for (const r of config.rules) {
    if (r.dictionary !== undefined) {
      out.push(
        dictionaryRule({
          id: r.id,
          terms: r.dictionary,
          severity: r.severity,
          category: r.category,
          ...(r.type ? { type: r.type } : {}),
        }),
      );
      continue;
    }
    out.push({
      id: r.id,
      ...(r.type ? { type: r.type } : {}),
      description: 'Site-defined rule.',
      keywords: (r.keywords ?? []).map((k) => k.toLowerCase()),
      pattern: r.pattern!,
      ...(r.minEntropy === undefined ? {} : { minEntropy: r.minEntropy }),
      severity: r.severity,
      category: r.category,
      examples: { positive: [], negative: [] },
    });
  }
  return out;
}

function compileAll(config: DlpConfig): Detector[] {
  const builtIn: PatternRule[] = [...secretRules, ...piiRules(config.phoneRegion as CountryCode)];
  const all = [...builtIn, ...customRules(config)];
  const ids = new Set<string>();
  for (const r of all) {
    if (ids.has(r.id)) throw invalid(`rule id "${r.id}" is defined twice`);
    ids.add(r.id);
  }
  const unknown = config.disable.filter((id) => !ids.has(id));
  if (unknown.length > 0) throw invalid(`disable names unknown rule(s): ${unknown.join(', ')}`);
  const disabled = new Set(config.disable);
  // Turning off a credential detector (or base64 decoding, which finds encoded credentials) lets
  // credentials reach models and tools as surely as an `allow` action: it must say so too, so a
  // config (or an approved live change) never loosens the secure default by a quiet `disable`.
  if (!config.weakensCredentialBlocking) {
    const off = all
      .filter((r) => disabled.has(r.id) && (r.category ?? 'secret') === 'secret')
      .map((r) => r.id);
    if (!config.base64.enabled) off.push('base64.enabled: false');
    if (off.length > 0)
      throw invalid(
        `dlp turns off credential detection (${off.slice(0, 5).join(', ')}${off.length > 5 ? ', …' : ''}); add weakensCredentialBlocking: true to dlp if that is intended`,
      );
  }
  const detectors: Detector[] = [];
  for (const rule of all) {
    if (disabled.has(rule.id)) continue;
    try {
      detectors.push(compileSecretRule(rule));
    } catch (err) {
      throw invalid(`rule "${rule.id}" has an invalid pattern: ${(err as Error).message}`, err);
    }
  }
  return detectors;
}

export function createDlpEngine(input: DlpConfigInput = {}): DlpEngine {
  const parsed = dlpConfigSchema.safeParse(input);
  if (!parsed.success)
    throw invalid(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const config = parsed.data;
  const detectors = compileAll(config);
  const categories = new Map<string, Set<FindingCategory>>();
  for (const d of detectors) {
    const set = categories.get(d.type) ?? new Set<FindingCategory>();
    set.add(d.category);
    categories.set(d.type, set);
  }
  checkActionPolicies(config, (type) => categories.get(type));
  const b64 = config.base64.enabled ? createBase64Finder(config.base64) : undefined;
  let prefilter: Prefilter;
  try {
    prefilter = createPrefilter(detectors, b64 ? [base64Trigger(config.base64.minLength)] : []);
  } catch (err) {
    throw invalid(`prefilter failed to compile: ${(err as Error).message}`, err);
  }
  const B64_SLOT = detectors.length;

  function detect(text: string, field: string, allowBase64: boolean): Candidate[] {
    const prepared = prepareText(text);
    const out: Candidate[] = [];
    let base64 = false;
    for (const i of prefilter.candidates(prepared.bytes)) {
      if (i === B64_SLOT) {
        base64 = allowBase64 && b64 !== undefined;
        continue;
      }
      const d = detectors[i]!;
      for (const span of d.find(text, prepared)) {
        out.push({
          type: d.type,
          ruleId: d.id,
          category: d.category,
          severity: d.severity,
          start: span.start,
          end: span.end,
          field,
          generic: d.generic,
        });
      }
    }
    // Last, so a token some rule already reported is not decoded and scanned again.
    if (base64 && b64 !== undefined) {
      const found = out.length;
      const covered = (start: number, end: number) => {
        for (let j = 0; j < found; j++) if (out[j]!.start < end && out[j]!.end > start) return true;
        return false;
      };
      for (const payload of b64.find(prepared, covered)) {
        for (const f of detect(payload.decoded, `${field}(base64)`, false)) {
          out.push({ ...f, start: payload.start, end: payload.end });
        }
      }
    }
    return out;
  }

  function scan(text: string, field = 'text'): Finding[] {
    if (text.length === 0) return [];
    return dedupe(detect(text, field, true));
  }

  return {
    detectors,
    prefilter,
    config,
    scan,
    inspect(text: string, where: { readonly field: string }): InspectResult {
      return { findings: scan(text, where.field) };
    },
  };
}
