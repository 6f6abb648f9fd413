// The shape of one credential rule and its compilation to an RE2-backed detector.
// Rules are data: a pattern, keywords for the prefilter, optional validation, and examples that run
// as unit tests (rules.test.ts), in the manner of gitleaks' rule set.
import RE2 from 're2';
import { shannonEntropy } from '../entropy.ts';
import { type PreparedText, prepareText } from '../prepared.ts';
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
   *  that many leading characters (e.g. a valid IBAN followed by more letter/digit groups).
   *  `context` is the scanned text and the span's UTF-16 offsets in it, for rules whose verdict
   *  depends on the words around a value (a phone-shaped number labelled as an order number). */
  readonly validate?: (secret: string, context: SpanContext) => boolean | number;
  readonly severity: Severity;
  /** Generic rules lose overlaps to specific ones. */
  readonly generic?: boolean;
  readonly category?: FindingCategory;
  /** Bytes one of which every match contains at most `maxBefore` bytes after the start of its
   *  sensitive span (an e-mail address's `@`, a card number's digits): the search skips straight
   *  to `maxBefore` before the next one and stops when there is none, instead of running the
   *  regex over text that cannot match. With `maxLength` (the longest possible match, in bytes)
   *  it also searches only a window from there, so a failed candidate does not scan to the end. */
  readonly anchor?: { readonly bytes: string; readonly maxBefore: number; readonly maxLength?: number };
  readonly examples: RuleExamples;
}

export interface SpanContext {
  readonly text: string;
  readonly start: number;
  readonly end: number;
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

/** Runs `re` over `text`, yielding the span of group `secret` (or the whole match) for each hit.
 *  Offsets are byte offsets into the UTF-8 `text`. */
export function* spans(re: RE2, text: Buffer): Generator<RawMatch> {
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

// `(?:^|[^B])(?P<secret>BODY)(?:[^A]|$)` — the shape token() and most PII rules use. A leading
// character class defeats RE2's literal-prefix acceleration and capture groups cost a second pass,
// so such rules search for BODY alone and check the two boundary characters here instead.
const BOUNDED =
  /^\(\?:\^\|\[\^((?:\\.|[^\]\\])+)\]\)\(\?P<secret>([\s\S]*)\)\(\?:\[\^((?:\\.|[^\]\\])+)\]\|\$\)$/;

/** Membership test for a (trusted, rule-defined) character class, tabled for ASCII at start-up. */
function classTest(cls: string): (code: number) => boolean {
  const re = new RE2(`^[${cls}]$`);
  const ascii = new Uint8Array(128);
  for (let c = 0; c < 128; c++) ascii[c] = re.test(String.fromCharCode(c)) ? 1 : 0;
  return (code) => (code < 128 ? ascii[code] === 1 : re.test(String.fromCharCode(code)));
}

/** Yields byte offsets into `p.bytes`. */
interface Searcher {
  readonly regex: RE2;
  spans(p: PreparedText): Generator<RawMatch>;
}

/** The first byte offset after `from` that follows a character outside `inBefore`'s class. */
function nextStart(p: PreparedText, from: number, inBefore: (code: number) => boolean): number {
  const bytes = p.bytes;
  let q = from;
  while (q < bytes.length) {
    const b = bytes[q]!;
    const width = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    if (!inBefore(b < 0x80 ? b : p.codeAt(q))) return q + width;
    q += width;
  }
  return bytes.length;
}

function boundedSearcher(
  before: string,
  body: string,
  after: string,
  anchor: SecretRule['anchor'] | undefined,
): Searcher {
  const re = compilePattern(body, 'g');
  const inBefore = classTest(before);
  const inAfter = classTest(after);
  const isAnchor = new Uint8Array(256);
  for (const c of anchor?.bytes ?? '') isAnchor[c.charCodeAt(0)] = 1;
  const single = anchor?.bytes.length === 1 ? anchor.bytes.charCodeAt(0) : -1;
  const nextAnchor = (bytes: Buffer, from: number): number => {
    if (single >= 0) return bytes.indexOf(single, from);
    for (let i = from; i < bytes.length; i++) if (isAnchor[bytes[i]!] === 1) return i;
    return -1;
  };
  /** Bytes searched past the anchor beyond one match length: windows amortise over digit runs. */
  const SPAN = 256;
  /** The leftmost match at or after `from` (byte offsets), or undefined. */
  const search = (bytes: Buffer, from: number): [number, number] | undefined => {
    let at = from;
    for (;;) {
      if (anchor === undefined) {
        re.lastIndex = at;
        const m = re.exec(bytes);
        return m === null ? undefined : [m.index, m.index + m[0].length];
      }
      // No match can start more than `maxBefore` ahead of the next anchor byte (it would need an
      // anchor earlier than that one), and none exists past the last one.
      const a = nextAnchor(bytes, at);
      if (a < 0) return undefined;
      const lo = Math.max(at, a - anchor.maxBefore);
      if (anchor.maxLength === undefined) {
        re.lastIndex = lo;
        const m = re.exec(bytes);
        return m === null ? undefined : [m.index, m.index + m[0].length];
      }
      // A match starting in [lo, a + SPAN] ends inside the window, so the window's leftmost match
      // there is the text's (the body has no anchors: a window match is a text match). Anything
      // starting later may be cut short by the window: search again from there.
      const limit = a + SPAN;
      const hi = Math.min(bytes.length, limit + anchor.maxLength);
      re.lastIndex = 0;
      const m = re.exec(bytes.subarray(lo, hi));
      if (m !== null && (lo + m.index <= limit || hi === bytes.length))
        return [lo + m.index, lo + m.index + m[0].length];
      if (hi === bytes.length) return undefined;
      at = limit + 1;
    }
  };
  return {
    regex: re,
    *spans(p: PreparedText) {
      const bytes = p.bytes;
      let from = 0;
      for (;;) {
        const found = search(bytes, from);
        if (found === undefined) return;
        const [start, end] = found;
        from = end > start ? end : start + 1;
        if ((start > 0 && inBefore(p.codeBefore(start))) || (end < bytes.length && inAfter(p.codeAt(end)))) {
          // No match starts here. The next one can only start after a character outside the
          // leading class: skip the rest of this run at once instead of retrying every position
          // (inside a long hex or base64 run that would be one search per character).
          from = nextStart(p, start, inBefore);
          continue;
        }
        yield { start, end };
      }
    },
  };
}

/** Depth-0 scan of a (trusted) RE2 source: balanced and free of top-level alternation? */
function isTopLevelSequence(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return false;
    if (depth < 0) return false;
  }
  return depth === 0 && !inClass;
}

/** `X{m,n}` → `X{m,}` for large n (n ≥ 32), outside character classes. */
function unbound(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      out += c + (source[i + 1] ?? '');
      i++;
      continue;
    }
    if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '{') {
      const m = /^\{(\d+),(\d+)\}/.exec(source.slice(i));
      if (m !== null && Number(m[2]) >= 32) {
        out += `{${m[1]},}`;
        i += m[0].length - 1;
        continue;
      }
    }
    out += c;
  }
  return out;
}

// Capture groups (and the `d` flag) make every RE2 search several times slower, so the whole
// text is searched without captures and only the short match is re-run to locate the `secret`
// group: `^(?P<pre>PREFIX)(?P<secret>…` tells its offset by the length of `pre`.
/** Index of the `)` closing the group that opens at `open` (a trusted RE2 source). */
function closingParen(source: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** `[class]{m,n}` over ASCII only (no negation, escapes or non-ASCII): one byte per character. */
const ASCII_CLASS_RUN = /^(\[(?!\^)[\x20-\x5b\x5d-\x7e]+\])\{(\d+),(\d+)\}$/;

function twoPhaseSearcher(pattern: string): Searcher | undefined {
  const at = pattern.indexOf('(?P<secret>');
  if (at < 0) {
    const re = compilePattern(pattern, 'g');
    return { regex: re, spans: (p) => wholeMatches(re, p.bytes) };
  }
  const prefix = pattern.slice(0, at);
  if (!isTopLevelSequence(prefix) || pattern.indexOf('(?P<secret>', at + 1) >= 0) return undefined;
  const close = closingParen(pattern, at);
  if (close < 0) return undefined;
  const body = pattern.slice(at + '(?P<secret>'.length, close);
  const rest = pattern.slice(close + 1);
  // A secret that ends the pattern and is one ASCII class repeated `{m,n}` (`[A-Za-z0-9_+/=.~-]
  // {16,256}`): search with `{m,}` and keep the first n bytes. Same matches — the secret is greedy
  // and last, so the prefix path RE2 prefers is the same and the bounded secret is the first n
  // bytes of the unbounded one — but no counted repetition for the DFA: every position inside the
  // count was a DFA state of its own, and on text dense with findings those kept being built anew
  // (issue 7: generic-api-key-assignment ~3x cheaper on fresh eval-corpus text).
  // (Not under a bare `(?i)`: folding would let a class letter match a multi-byte character.)
  const tail = rest === '' && !/\(\?[a-zA-Z]*\)/.test(prefix) ? ASCII_CLASS_RUN.exec(body) : null;
  const clip = tail !== null && Number(tail[3]) >= 32 ? Number(tail[3]) : undefined;
  const searched =
    clip === undefined ? pattern.replace('(?P<secret>', '(?:') : `${prefix}(?:${tail![1]}{${tail![2]},})`;
  const search = compilePattern(searched, 'g');
  // Locating the secret inside the short match: three sticky `test`s (no captures, ~0.3 µs each)
  // find where the prefix ends, where the secret ends, and check the rest completes the match;
  // a capture search (`locate`, ~5 µs through the binding) settles the rare case they disagree.
  // The located text is the search's (already bounded) match, so large repetition bounds can go
  // from the locating patterns: `{16,256}` is 256 program copies for capture matching to walk.
  const preRe = compilePattern(`(?:${unbound(prefix)})`, 'y');
  const bodyRe = compilePattern(`(?:${unbound(body)})`, 'y');
  const restRe = compilePattern(`(?:${unbound(rest)})$`, 'y');
  const locate = compilePattern(`^(?P<pre>${unbound(prefix)})${unbound(pattern.slice(at))}`, '');
  const quick = (m: Buffer): [number, number] | undefined => {
    preRe.lastIndex = 0;
    if (!preRe.test(m)) return undefined;
    const s = preRe.lastIndex;
    bodyRe.lastIndex = s;
    if (!bodyRe.test(m)) return undefined;
    const e = bodyRe.lastIndex;
    restRe.lastIndex = e;
    return e > s && restRe.test(m) ? [s, e] : undefined;
  };
  return {
    regex: search,
    *spans(p: PreparedText) {
      search.lastIndex = 0;
      for (;;) {
        const m = search.exec(p.bytes);
        if (m === null) return;
        let span = quick(m[0]);
        if (span === undefined) {
          const g = locate.exec(m[0])?.groups;
          const pre = g?.['pre']?.length ?? 0;
          const secret = g?.['secret'];
          span = secret === undefined ? [0, m[0].length] : [pre, pre + secret.length];
          if (secret !== undefined && clip !== undefined) span[1] = Math.min(span[1], pre + clip);
        } else if (clip !== undefined) span[1] = Math.min(span[1], span[0] + clip);
        const start = m.index + span[0];
        const end = m.index + span[1];
        search.lastIndex = Math.max(end, m.index + 1);
        yield { start, end };
      }
    },
  };
}

function* wholeMatches(re: RE2, text: Buffer): Generator<RawMatch> {
  re.lastIndex = 0;
  for (;;) {
    const m = re.exec(text);
    if (m === null) return;
    const end = m.index + m[0].length;
    re.lastIndex = end > m.index ? end : m.index + 1;
    yield { start: m.index, end };
  }
}

function searcherFor(pattern: string, anchor?: SecretRule['anchor']): Searcher {
  const bounded = BOUNDED.exec(pattern);
  if (bounded !== null && !bounded[2]!.includes('(?P<'))
    return boundedSearcher(bounded[1]!, bounded[2]!, bounded[3]!, anchor);
  if (anchor !== undefined) throw new Error('an anchor needs a (?:^|[^…])(?P<secret>…)(?:[^…]|$) pattern');
  const fast = twoPhaseSearcher(pattern);
  if (fast !== undefined) return fast;
  const re = compilePattern(pattern);
  return { regex: re, spans: (p) => spans(re, p.bytes) };
}

export function compileSecretRule(rule: SecretRule): Detector {
  const searcher = searcherFor(rule.pattern, rule.anchor);
  const { minEntropy, validate } = rule;
  return {
    id: rule.id,
    type: rule.type ?? typeFromId(rule.id),
    category: rule.category ?? 'secret',
    severity: rule.severity,
    generic: rule.generic ?? false,
    keywords: rule.keywords,
    trigger: rule.keywords.length === 0 ? rule.pattern : undefined,
    regexes: [searcher.regex],
    find(text: string, prepared?: PreparedText): RawMatch[] {
      const p = prepared ?? prepareText(text);
      const out: RawMatch[] = [];
      for (const span of searcher.spans(p)) {
        if (span.end <= span.start) continue;
        const start = p.toUtf16(span.start);
        let end = p.toUtf16(span.end);
        if (minEntropy !== undefined || validate !== undefined) {
          const secret = text.slice(start, end);
          if (minEntropy !== undefined && shannonEntropy(secret) < minEntropy) continue;
          const verdict = validate === undefined ? true : validate(secret, { text, start, end });
          if (verdict === false) continue;
          if (typeof verdict === 'number') end = start + verdict;
        }
        out.push({ start, end });
      }
      return out;
    },
  };
}
