// Secrets are often pasted base64-encoded (Kubernetes Secrets, Docker auths, data: URLs). Small
// base64 tokens are decoded and scanned once more; a hit reports the whole encoded token.
import type { PreparedText } from './prepared.ts';
import { compilePattern } from './rules/secret-rule.ts';
import type { RawMatch } from './types.ts';

export interface Base64Options {
  readonly minLength: number;
  readonly maxDecodedBytes: number;
}

export function base64Trigger(minLength: number): string {
  return `[A-Za-z0-9+/_-]{${Math.min(minLength, 1000)},}`;
}

export interface DecodedPayload extends RawMatch {
  readonly decoded: string;
}

/** Decoded text is worth scanning only if it is text: valid UTF-8, nearly all printable. */
export function asText(bytes: Buffer): string | undefined {
  let printable = 0;
  for (const b of bytes)
    if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09 || b >= 0x80) printable++;
  if (printable < bytes.length * 0.95) return undefined;
  const text = bytes.toString('utf8');
  return text.includes('\uFFFD') ? undefined : text;
}

/** Base64 of text mixes upper and lower case letters; identifiers such as `snake_case_names` or
 *  `ALL_CAPS_CONSTANTS` and hex digests do not, so they are not decoded. Checked on raw bytes. */
function looksEncoded(bytes: Buffer, start: number, end: number): boolean {
  let upper = false;
  let lower = false;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 65 && b <= 90) upper = true;
    else if (b >= 97 && b <= 122) lower = true;
    if (upper && lower) return true;
  }
  return false;
}

/** The bytes of base64Trigger's class: A-Z a-z 0-9 + / _ - */
const IN_CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++)
  IN_CLASS[c] =
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    (c >= 48 && c <= 57) ||
    c === 43 ||
    c === 47 ||
    c === 95 ||
    c === 45
      ? 1
      : 0;

export function createBase64Finder(opts: Base64Options) {
  const maxEncoded = Math.ceil((opts.maxDecodedBytes * 4) / 3) + 4;
  // Leftmost-longest over one character class: a match always starts at a token boundary (the
  // search resumes after each token), so no boundary group — and no capture — is needed.
  const re = compilePattern(`${base64Trigger(opts.minLength)}={0,2}`, 'g');
  return {
    regex: re,
    /** Tokens in `p` that decode to text, skipping any that `skip(start, end)` (UTF-16 offsets)
     *  says is already reported: a matched key is not decoded and scanned a second time. */
    find(p: PreparedText, skip: (start: number, end: number) => boolean = () => false): DecodedPayload[] {
      const out: DecodedPayload[] = [];
      const bytes = p.bytes;
      re.lastIndex = 0;
      for (;;) {
        // `test` moves lastIndex to the match's end without building a match object (several
        // times cheaper than exec through the binding). The match is one class run plus up to two
        // '=', found leftmost: it starts where that run starts (never before the previous end).
        const from = re.lastIndex;
        if (!re.test(bytes)) break;
        const e = re.lastIndex;
        let s = e;
        while (s > from && bytes[s - 1] === 61 /* = */ && e - s < 2) s--;
        while (s > from && IN_CLASS[bytes[s - 1]!] === 1) s--;
        if (e - s > maxEncoded || !looksEncoded(bytes, s, e)) continue;
        const start = p.toUtf16(s);
        const end = p.toUtf16(e);
        if (skip(start, end)) continue;
        // Node's decoder accepts both the standard and the URL-safe alphabet.
        const decoded = asText(Buffer.from(p.text.slice(start, end), 'base64'));
        if (decoded !== undefined && decoded.length >= 8) out.push({ start, end, decoded });
      }
      return out;
    },
  };
}
