// Scores findings against a labelled corpus: a finding is a true positive when its type matches a
// label's and the spans overlap; each label is matched at most once. Per-type and overall
// precision and recall, plus the worst misses for tuning.
import type { DlpEngine } from '../engine.ts';
import type { Doc, Label } from './corpus.ts';

export interface TypeScore {
  readonly type: string;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly precision: number;
  readonly recall: number;
}

export interface Miss {
  readonly doc: string;
  readonly kind: 'false-positive' | 'false-negative';
  readonly type: string;
  /** The span with a little context (synthetic data only). */
  readonly excerpt: string;
}

export interface EvalReport {
  readonly documents: number;
  readonly labels: number;
  readonly findings: number;
  readonly overall: TypeScore;
  readonly types: readonly TypeScore[];
  readonly misses: readonly Miss[];
  readonly scanMs: number;
  readonly bytes: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);

function score(type: string, tp: number, fp: number, fn: number): TypeScore {
  return { type, tp, fp, fn, precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn) };
}

/** Finding types that name the same thing as a label's type, more specifically: a PEM block under
 *  a JSON "private_key" is reported as a service-account key, and that is a correct detection. */
const SAME_AS: Readonly<Record<string, string>> = { GCP_SERVICE_ACCOUNT_PRIVATE_KEY: 'PRIVATE_KEY' };
const typeOf = (t: string) => SAME_AS[t] ?? t;

const overlaps = (a: Label, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;

function excerpt(text: string, start: number, end: number): string {
  return `${text.slice(Math.max(0, start - 30), start)}⟦${text.slice(start, end)}⟧${text.slice(end, end + 20)}`
    .replace(/\n/g, '⏎')
    .slice(0, 200);
}

export function evaluate(engine: DlpEngine, docs: readonly Doc[]): EvalReport {
  const counts = new Map<string, { tp: number; fp: number; fn: number }>();
  const bump = (type: string, k: 'tp' | 'fp' | 'fn') => {
    let c = counts.get(type);
    if (c === undefined) {
      c = { tp: 0, fp: 0, fn: 0 };
      counts.set(type, c);
    }
    c[k]++;
  };
  const misses: Miss[] = [];
  let labels = 0;
  let findings = 0;
  let scanMs = 0;
  let bytes = 0;
  for (const doc of docs) {
    const t0 = performance.now();
    const found = engine.scan(doc.text, doc.id);
    scanMs += performance.now() - t0;
    bytes += Buffer.byteLength(doc.text);
    labels += doc.labels.length;
    findings += found.length;
    const matched = new Set<Label>();
    for (const raw of found) {
      const f = { ...raw, type: typeOf(raw.type) };
      const label = doc.labels.find((l) => !matched.has(l) && l.type === f.type && overlaps(l, f));
      if (label !== undefined) {
        matched.add(label);
        bump(f.type, 'tp');
      } else if (doc.labels.some((l) => l.type === f.type && overlaps(l, f))) {
      } else {
        bump(f.type, 'fp');
        misses.push({
          doc: doc.id,
          kind: 'false-positive',
          type: f.type,
          excerpt: excerpt(doc.text, f.start, f.end),
        });
      }
    }
    for (const l of doc.labels) {
      if (matched.has(l)) continue;
      bump(l.type, 'fn');
      const other = found.find((f) => overlaps(l, f));
      misses.push({
        doc: doc.id,
        kind: 'false-negative',
        type: other ? `${l.type} (found as ${other.type})` : l.type,
        excerpt: excerpt(doc.text, l.start, l.end),
      });
    }
  }
  const types = [...counts]
    .map(([type, c]) => score(type, c.tp, c.fp, c.fn))
    .sort((a, b) => a.type.localeCompare(b.type));
  const sum = (k: 'tp' | 'fp' | 'fn') => types.reduce((n, t) => n + t[k], 0);
  return {
    documents: docs.length,
    labels,
    findings,
    overall: score('OVERALL', sum('tp'), sum('fp'), sum('fn')),
    types,
    misses,
    scanMs,
    bytes,
  };
}
