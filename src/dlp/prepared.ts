// One UTF-8 conversion per scan. RE2 works on UTF-8: handed a JS string, every regex converts it
// again (and maps offsets back one code unit at a time), so the engine converts once and gives
// every regex — the prefilter set included — the same Buffer, then maps byte offsets back here.

export interface PreparedText {
  readonly text: string;
  /** The UTF-8 bytes of `text`: what every RE2 search reads. */
  readonly bytes: Buffer;
  /** True when every character is ASCII: byte offsets are then UTF-16 offsets. */
  readonly ascii: boolean;
  /** UTF-16 offset of a byte offset that sits on a character boundary. */
  toUtf16(byte: number): number;
  /** UTF-16 code unit just before byte offset `byte` (NaN at the start). */
  codeBefore(byte: number): number;
  /** UTF-16 code unit at byte offset `byte` (NaN at the end). */
  codeAt(byte: number): number;
}

function byteToUtf16Map(text: string, byteLength: number): Uint32Array {
  const map = new Uint32Array(byteLength + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    map[b] = i;
    if (c < 0x80) b += 1;
    else if (c < 0x800) {
      map[b + 1] = i + 1;
      b += 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair: four bytes, two code units.
        map[b + 1] = i + 1;
        map[b + 2] = i + 1;
        map[b + 3] = i + 1;
        b += 4;
        i++;
        continue;
      }
      map[b + 1] = i + 1;
      map[b + 2] = i + 1;
      b += 3;
    } else {
      // BMP character (a lone surrogate encodes as U+FFFD: also three bytes).
      map[b + 1] = i + 1;
      map[b + 2] = i + 1;
      b += 3;
    }
  }
  map[b] = text.length;
  return map;
}

export function prepareText(text: string): PreparedText {
  const bytes = Buffer.from(text, 'utf8');
  const ascii = bytes.length === text.length;
  let map: Uint32Array | undefined;
  const toUtf16 = ascii
    ? (byte: number) => byte
    : (byte: number) => {
        map ??= byteToUtf16Map(text, bytes.length);
        return map[byte]!;
      };
  return {
    text,
    bytes,
    ascii,
    toUtf16,
    codeBefore(byte) {
      if (byte <= 0) return Number.NaN;
      const b = bytes[byte - 1]!;
      return b < 0x80 ? b : text.charCodeAt(toUtf16(byte) - 1);
    },
    codeAt(byte) {
      if (byte >= bytes.length) return Number.NaN;
      const b = bytes[byte]!;
      return b < 0x80 ? b : text.charCodeAt(toUtf16(byte));
    },
  };
}
