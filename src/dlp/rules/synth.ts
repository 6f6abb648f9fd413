// Deterministic synthetic strings for rule examples. Test fixtures are generated, never pasted, so no
// real-looking credential sits in the repository for secret scanners (or people) to trip over.

import { crc32 } from 'node:zlib';
import { base62 } from '../checksum.ts';

export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const LOWER = 'abcdefghijklmnopqrstuvwxyz';
export const DIGITS = '0123456789';
export const HEX = '0123456789abcdef';
export const ALNUM = UPPER + LOWER + DIGITS;
export const LOWER_ALNUM = LOWER + DIGITS;
export const UPPER_ALNUM = UPPER + DIGITS;
export const B64 = ALNUM + '+/';
export const B64URL = ALNUM + '-_';

function seedOf(label: string): number {
  let h = 2166136261;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** `n` pseudo-random characters from `charset`, fixed by `label` (mulberry32). */
export function synth(label: string, charset: string, n: number): string {
  let a = seedOf(label);
  let out = '';
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out += charset[Math.floor(r * charset.length)];
  }
  return out;
}

export function uuid(label: string): string {
  const h = synth(label, HEX, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

/** A GitHub/npm style token with a valid CRC32 checksum. */
export function checksummed(prefix: string, label: string): string {
  const random = synth(label, ALNUM, 30);
  return prefix + random + base62(crc32(random) >>> 0, 6);
}
