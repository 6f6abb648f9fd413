// Streaming inspection for completions that arrive in small deltas. The scanner holds back a tail
// window so a secret split across chunks is still seen whole before any of it is released:
// every released character has had at least `holdback` characters after it in the buffer (or the
// stream ended), and the cut never falls inside a finding or inside an unbroken token.
import { resolveAction } from './actions.ts';
import type { DlpEngine } from './engine.ts';
import { placeholder } from './redact.ts';
import type { DlpAction, Finding } from './types.ts';

export interface StreamScannerOptions {
  /** Characters held back from release; bounds the longest match caught across chunks. */
  readonly holdback?: number;
  /** Already-released characters kept in front of the buffer so boundary checks still work. */
  readonly context?: number;
  /** Past this many pending characters the scanner releases anyway (redacting what it found):
   *  memory is bounded even for an endless token. */
  readonly maxBuffer?: number;
  readonly field?: string;
  /** Scan only once this many new characters are pending beyond the holdback: fewer scans per
   *  stream for a little latency (tiny deltas are the norm for token streams). */
  readonly minRelease?: number;
  /** Action per finding; defaults to the output-direction defaults (secrets redacted). */
  readonly action?: (finding: Finding) => DlpAction;
}

export interface StreamOutput {
  /** Text safe to send to the client now (already redacted). */
  readonly text: string;
  /** Findings in the released text; offsets are into the original (unredacted) stream. */
  readonly findings: readonly Finding[];
  /** A finding's action was `block`: stop the stream; nothing more is released. */
  readonly blocked: boolean;
}

export interface StreamScanner {
  push(delta: string): StreamOutput;
  /** Releases everything still held; call once when the upstream stream ends. */
  flush(): StreamOutput;
}

const EMPTY: StreamOutput = { text: '', findings: [], blocked: false };
const BLOCKED: StreamOutput = { text: '', findings: [], blocked: true };

function isTokenChar(c: number): boolean {
  // A-Z a-z 0-9 + / = _ . ~ % -
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 43 ||
    c === 47 ||
    c === 61 ||
    c === 95 ||
    c === 46 ||
    c === 126 ||
    c === 37 ||
    c === 45
  );
}

/** Characters of grouped values ("MT84 MALT 0110 …", "(212) 555 0123", "4111 1111 …"). */
function isGroupChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 40 || c === 41 || c === 43;
}

/** Longest grouped value the scanner keeps whole across a single-space join: a 34-character
 *  IBAN written in groups of four is 42; phones and cards are shorter. */
const MAX_GROUPED = 48;

export function createStreamScanner(engine: DlpEngine, opts: StreamScannerOptions = {}): StreamScanner {
  const holdback = opts.holdback ?? 256;
  const context = opts.context ?? 64;
  const maxBuffer = Math.max(opts.maxBuffer ?? 64 * 1024, holdback * 2);
  const field = opts.field ?? 'output';
  const minRelease = opts.minRelease ?? 32;
  const action = opts.action ?? ((f: Finding) => resolveAction(f, 'output'));
  let buf = '';
  let ctxLen = 0; // leading characters of `buf` that were already released
  let base = 0; // stream offset of buf[0]
  let blocked = false;

  const joined = (at: number, test: (c: number) => boolean) =>
    test(buf.charCodeAt(at - 1)) && test(buf.charCodeAt(at));
  const spaceJoined = (at: number): boolean => {
    const before = buf.charCodeAt(at - 1);
    const after = buf.charCodeAt(at);
    if (before === 32) return isGroupChar(buf.charCodeAt(at - 2)) && isGroupChar(after);
    if (after === 32) return isGroupChar(before) && isGroupChar(buf.charCodeAt(at + 1));
    return joined(at, isGroupChar);
  };

  function chooseCut(findings: readonly Finding[], final: boolean): number {
    if (final) return buf.length;
    let cut = buf.length - holdback;
    const floor = cut - MAX_GROUPED;
    for (let moved = true; moved; ) {
      moved = false;
      for (const f of findings) {
        if (f.start < cut && f.end > cut) {
          cut = f.start;
          moved = true;
        }
      }
      // Never split a token: its head alone may match nothing, its tail alone something else.
      // Nor a grouped value joined by single spaces, up to MAX_GROUPED back: its first group
      // alone ("MT84") is no finding, and the whole value may be longer than the holdback.
      while (cut > ctxLen && (joined(cut, isTokenChar) || (cut >= floor && spaceJoined(cut)))) {
        cut--;
        moved = true;
      }
    }
    if (cut <= ctxLen && buf.length - ctxLen > maxBuffer) cut = buf.length - holdback; // bounded memory
    return cut;
  }

  function release(final: boolean): StreamOutput {
    if (blocked) return BLOCKED;
    const all = engine.scan(buf, field).filter((f) => f.end > ctxLen);
    const cut = chooseCut(all, final);
    if (cut <= ctxLen) return EMPTY;
    let text = '';
    let cursor = ctxLen;
    const findings: Finding[] = [];
    for (const f of all) {
      if (f.start >= cut) continue;
      const start = Math.max(f.start, ctxLen);
      const end = Math.min(f.end, cut);
      findings.push({ ...f, start: base + start, end: base + end });
      const act = action(f);
      if (act === 'block') {
        blocked = true;
        buf = '';
        return { text: '', findings, blocked: true };
      }
      if (act === 'alert' || start < cursor) continue;
      text += buf.slice(cursor, start) + placeholder(f.type, act, buf.slice(start, end));
      cursor = end;
    }
    text += buf.slice(cursor, cut);
    const keep = Math.max(0, cut - context);
    base += keep;
    buf = buf.slice(keep);
    ctxLen = cut - keep;
    return { text, findings, blocked: false };
  }

  return {
    push(delta: string): StreamOutput {
      if (blocked) return BLOCKED;
      buf += delta;
      if (buf.length - ctxLen < holdback + minRelease) return EMPTY;
      return release(false);
    },
    flush(): StreamOutput {
      const out = release(true);
      buf = '';
      ctxLen = 0;
      return out;
    },
  };
}
