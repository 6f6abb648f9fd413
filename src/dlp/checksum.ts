// Checksums that confirm a candidate is a real identifier, not a look-alike (fewer false positives).
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  while (n > 0) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(width, '0');
}

/** GitHub (2021 format) and npm tokens: prefix_ + 30 random base62 + base62(CRC32(random)) in 6 chars.
 *  https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/ */
export function prefixedCrc32Valid(token: string): boolean {
  const underscore = token.indexOf('_');
  const body = token.slice(underscore + 1);
  if (underscore < 0 || body.length < 7) return false;
  const random = body.slice(0, -6);
  return base62(crc32(random) >>> 0, 6) === body.slice(-6);
}

/** Luhn mod-10 over the digits of `value` (separators ignored). */
export function luhnValid(value: string): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let i = value.length - 1; i >= 0; i--) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    digits++;
    let d = c;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits > 0 && sum % 10 === 0;
}

/** ISO 7064 mod 97-10 as used by IBAN: move the first four chars to the end, letters → 10..35. */
export function ibanMod97Valid(iban: string): boolean {
  const s = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

// Verhoeff dihedral-group checksum (used by India's Aadhaar).
const VD = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VP = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 8, 7, 6, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const VINV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

function verhoeffDigits(value: string): number[] {
  const out: number[] = [];
  for (const ch of value) if (ch >= '0' && ch <= '9') out.push(ch.charCodeAt(0) - 48);
  return out;
}

export function verhoeffValid(value: string): boolean {
  const digits = verhoeffDigits(value).reverse();
  let c = 0;
  for (let i = 0; i < digits.length; i++) c = VD[c]![VP[i % 8]![digits[i]!]!]!;
  return digits.length > 0 && c === 0;
}

/** The check digit to append to `value` (for synthetic test data). */
export function verhoeffCheckDigit(value: string): number {
  const digits = verhoeffDigits(value).reverse();
  let c = 0;
  for (let i = 0; i < digits.length; i++) c = VD[c]![VP[(i + 1) % 8]![digits[i]!]!]!;
  return VINV[c]!;
}
