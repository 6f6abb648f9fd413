// The last line of defence for logs, traces, error messages and crash reports (P5): every line
// that leaves the process goes through here. Known credential formats (the DLP engine's secret
// rules) and the exact values the process holds (vault secrets, API-key peppers, registered at run
// time) become typed placeholders. JSON lines stay valid JSON. Nothing here throws on content: a
// redactor that fails returns a fixed marker instead of the line (fail closed).
import RE2 from 're2';
import type { DlpEngine } from './engine.ts';
import { applyRedactions, type Redaction } from './redact.ts';
import type { FindingCategory } from './types.ts';

export interface LogRedactorOptions {
  /** Categories of engine findings to redact; secrets by default (add 'pii' to scrub personal data). */
  readonly categories?: readonly FindingCategory[];
  /** Exact values to redact from the start (more can be added with `addSecret`). */
  readonly secrets?: Iterable<string>;
}

export interface LogRedactor {
  /** A log line (JSON or plain text) with every credential replaced; JSON stays valid. */
  redact(line: string): string;
  /** A deep copy of `value` with every string redacted; Errors become plain objects carrying
   *  name, message, stack, code, cause (and AggregateError's errors). */
  redactValue(value: unknown): unknown;
  /** Registers an exact value (e.g. a vault secret as it is loaded). Values under 8 characters are
   *  refused (returns false): they would redact ordinary words and numbers everywhere. */
  addSecret(value: string): boolean;
  removeSecret(value: string): void;
}

/** What a line becomes when redaction itself fails: better a lost line than a leaked secret. */
export const REDACTION_FAILED = '{"level":"error","msg":"[log line withheld: redaction failed]"}';

const MIN_SECRET_LENGTH = 8;

function parses(json: string): boolean {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
}
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

function serializeError(
  err: Error,
  seen: Set<unknown>,
  walk: (v: unknown) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: walk(err.message), stack: walk(err.stack) };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = walk(code);
  if (err.cause !== undefined && !seen.has(err.cause)) out.cause = walk(err.cause);
  if (err instanceof AggregateError) out.errors = err.errors.map((e) => walk(e));
  return out;
}

export function createLogRedactor(
  engine: Pick<DlpEngine, 'scan'>,
  opts: LogRedactorOptions = {},
): LogRedactor {
  const categories = new Set<FindingCategory>(opts.categories ?? ['secret']);
  const secrets = new Set<string>();
  let exact: RE2 | undefined;
  let dirty = false;

  function exactMatcher(): RE2 | undefined {
    if (dirty) {
      dirty = false;
      // Longest first, so a value containing another is redacted whole. Each value also in its
      // JSON-escaped form, which is how it appears inside a JSON log line.
      const forms = new Set<string>();
      for (const s of secrets) {
        forms.add(s);
        forms.add(JSON.stringify(s).slice(1, -1));
      }
      const sorted = [...forms].sort((a, b) => b.length - a.length);
      exact = sorted.length === 0 ? undefined : new RE2(sorted.map(escapeRe).join('|'), 'g');
    }
    return exact;
  }

  function redactText(text: string): string {
    const redactions: Redaction[] = [];
    for (const f of engine.scan(text, 'log')) {
      if (categories.has(f.category))
        redactions.push({ start: f.start, end: f.end, type: f.type, mode: 'redact' });
    }
    const re = exactMatcher();
    if (re !== undefined) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        redactions.push({ start: m.index, end: m.index + m[0].length, type: 'SECRET', mode: 'redact' });
      }
    }
    return redactions.length === 0 ? text : applyRedactions(text, redactions).text;
  }

  function walk(value: unknown, seen: Set<unknown>): unknown {
    if (typeof value === 'string') return redactText(value);
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    const inner = (v: unknown) => walk(v, seen);
    if (value instanceof Error) return serializeError(value, seen, inner);
    if (Array.isArray(value)) return value.map(inner);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = inner(v);
    return out;
  }

  for (const s of opts.secrets ?? []) if (s.length >= MIN_SECRET_LENGTH) secrets.add(s);
  dirty = secrets.size > 0;

  return {
    redact(line) {
      try {
        const redacted = redactText(line);
        if (redacted === line) return line;
        // A placeholder never contains a quote or a backslash, so a span inside a JSON string
        // leaves valid JSON — unless the span ran over an escape or a quote. Then redact the parsed
        // value string by string and serialise it again.
        const body = line.trimEnd();
        if (!body.startsWith('{') && !body.startsWith('[')) return redacted;
        if (parses(redacted.trimEnd()) || !parses(body)) return redacted;
        return JSON.stringify(walk(JSON.parse(body), new Set())) + line.slice(body.length);
      } catch {
        return REDACTION_FAILED + (line.endsWith('\n') ? '\n' : '');
      }
    },
    redactValue(value) {
      return walk(value, new Set());
    },
    addSecret(value) {
      if (value.length < MIN_SECRET_LENGTH) return false;
      if (!secrets.has(value)) {
        secrets.add(value);
        dirty = true;
      }
      return true;
    },
    removeSecret(value) {
      if (secrets.delete(value)) dirty = true;
    },
  };
}

/** The pino destination shape this wraps (SonicBoom, a stream, or a test sink). */
export interface LineSink {
  write(chunk: string): unknown;
  flushSync?(): void;
  end?(): void;
}

/** A destination that redacts every serialised line before it is written: one choke point for
 *  every logger, child logger and serializer (pino's `redact` paths only cover named keys). */
export function createRedactingDestination<T extends LineSink>(dest: T, redactor: LogRedactor): LineSink {
  return {
    write: (chunk: string) => dest.write(redactor.redact(chunk)),
    ...(dest.flushSync ? { flushSync: () => dest.flushSync!() } : {}),
    ...(dest.end ? { end: () => dest.end!() } : {}),
  };
}

/** One JSON line describing a crash (uncaught exception, unhandled rejection, worker exit), redacted. */
export function formatCrashReport(
  redactor: LogRedactor,
  kind: string,
  err: unknown,
  extra: object = {},
): string {
  try {
    return `${JSON.stringify({
      level: 'fatal',
      time: new Date().toISOString(),
      msg: kind,
      ...(redactor.redactValue(extra) as object),
      err: redactor.redactValue(err),
    })}\n`;
  } catch {
    return `${REDACTION_FAILED}\n`;
  }
}
