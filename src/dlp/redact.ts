// Replaces findings with typed placeholders. The output never contains the sensitive span; `mask`
// keeps the last four characters where that is how people recognise the value (cards, long keys).
import type { Finding } from './types.ts';

export type RedactionMode = 'redact' | 'mask';

export interface Redaction {
  readonly start: number;
  readonly end: number;
  readonly type: string;
  readonly mode: RedactionMode;
}

export interface RedactedText {
  readonly text: string;
  /** Where each placeholder sits in the output (for callers that re-map offsets). */
  readonly placeholders: readonly { readonly start: number; readonly end: number; readonly type: string }[];
}

/** Spans shorter than this are fully redacted in mask mode: four characters of a short value
 *  would reveal too much of it. */
const MASK_MIN_LENGTH = 12;

export function placeholder(type: string, mode: RedactionMode = 'redact', value = ''): string {
  if (mode === 'mask' && value.length >= MASK_MIN_LENGTH) {
    const tail = value.replace(/[\s-]/g, '').slice(-4);
    return `[REDACTED:${type}:…${tail}]`;
  }
  return `[REDACTED:${type}]`;
}

/** Applies redactions (any order, overlaps merged into the first) to `text`. */
export function applyRedactions(text: string, redactions: readonly Redaction[]): RedactedText {
  const sorted = [...redactions].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let cursor = 0;
  const placeholders: { start: number; end: number; type: string }[] = [];
  for (const r of sorted) {
    if (r.end <= cursor) continue;
    const start = Math.max(r.start, cursor);
    out += text.slice(cursor, start);
    const ph = placeholder(r.type, r.mode, text.slice(start, r.end));
    placeholders.push({ start: out.length, end: out.length + ph.length, type: r.type });
    out += ph;
    cursor = r.end;
  }
  out += text.slice(cursor);
  return { text: out, placeholders };
}

/** Redacts every finding in `text` with one mode. */
export function redactFindings(
  text: string,
  findings: readonly Finding[],
  mode: RedactionMode = 'redact',
): RedactedText {
  return applyRedactions(
    text,
    findings.map((f) => ({ start: f.start, end: f.end, type: f.type, mode })),
  );
}
