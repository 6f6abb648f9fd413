// Secrets are often pasted base64-encoded (Kubernetes Secrets, Docker auths, data: URLs). Small
// base64 tokens are decoded and scanned once more; a hit reports the whole encoded token.
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
function asText(bytes: Buffer): string | undefined {
  let printable = 0;
  for (const b of bytes)
    if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09 || b >= 0x80) printable++;
  if (printable < bytes.length * 0.95) return undefined;
  const text = bytes.toString('utf8');
  return text.includes('\uFFFD') ? undefined : text;
}

export function createBase64Finder(opts: Base64Options) {
  const maxEncoded = Math.ceil((opts.maxDecodedBytes * 4) / 3) + 4;
  const re = compilePattern(`(?:^|[^A-Za-z0-9+/_-])(?P<secret>${base64Trigger(opts.minLength)}={0,2})`);
  return {
    regex: re,
    find(text: string): DecodedPayload[] {
      const out: DecodedPayload[] = [];
      re.lastIndex = 0;
      for (;;) {
        const m = re.exec(text);
        if (m === null) break;
        const span = m.indices!.groups!['secret']!;
        re.lastIndex = Math.max(span[1], m.index + 1);
        const len = span[1] - span[0];
        if (len > maxEncoded) continue;
        const token = text.slice(span[0], span[1]);
        // Node's decoder accepts both the standard and the URL-safe alphabet.
        const decoded = asText(Buffer.from(token, 'base64'));
        if (decoded !== undefined && decoded.length >= 8) out.push({ start: span[0], end: span[1], decoded });
      }
      return out;
    },
  };
}
