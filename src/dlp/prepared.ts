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

/** UTF-16 offset of every byte offset, in one pass over the bytes (cheaper than walking the string
 *  and re-encoding): a character starts at every byte that is not a continuation byte (10xxxxxx);
 *  a four-byte sequence is a surrogate pair (two code units), every other one is one code unit (a
 *  lone surrogate was encoded as U+FFFD: three bytes, one unit). Bytes inside a character map to
 *  the unit after its first, as a boundary is never asked for there. */
function byteToUtf16Map(bytes: Buffer, textLength: number): Uint32Array {
  const map = new Uint32Array(bytes.length + 1);
  let unit = 0;
  let inside = 0;
  for (let b = 0; b < bytes.length; b++) {
    const x = bytes[b]!;
    if ((x & 0xc0) !== 0x80) {
      map[b] = unit;
      inside = unit + 1;
      unit += x >= 0xf0 ? 2 : 1;
    } else map[b] = inside;
  }
  map[bytes.length] = textLength;
  return map;
}

export function prepareText(text: string): PreparedText {
  const bytes = Buffer.from(text, 'utf8');
  const ascii = bytes.length === text.length;
  let map: Uint32Array | undefined;
  const toUtf16 = ascii
    ? (byte: number) => byte
    : (byte: number) => {
        map ??= byteToUtf16Map(bytes, text.length);
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
