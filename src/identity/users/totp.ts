// HOTP (RFC 4226) and TOTP (RFC 6238). Logins use SHA-1, 6 digits, 30 s steps and ±1 step; the core
// takes the algorithm and digit count so the RFC 6238 Appendix B vectors (SHA-1/256/512, 8 digits)
// test it as published. A code is accepted only for a step later than the last one used, so a code
// seen over a shoulder or in a proxy log cannot be replayed within its window.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type HotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface HotpOptions {
  readonly algorithm?: HotpAlgorithm;
  readonly digits?: number;
}

export function hotp(secret: Buffer, counter: number | bigint, opts: HotpOptions = {}): string {
  const digits = opts.digits ?? 6;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(opts.algorithm ?? 'sha1', secret)
    .update(msg)
    .digest();
  // RFC 4226 §5.3 dynamic truncation.
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(bin).padStart(digits, '0');
}

export interface TotpOptions extends HotpOptions {
  /** Seconds per step (X in RFC 6238). */
  readonly period?: number;
  /** Unix seconds the count starts at (T0). */
  readonly t0?: number;
}

export function totpStep(nowMs: number, opts: TotpOptions = {}): number {
  return Math.floor((Math.floor(nowMs / 1000) - (opts.t0 ?? 0)) / (opts.period ?? 30));
}

export function totp(secret: Buffer, nowMs: number, opts: TotpOptions = {}): string {
  return hotp(secret, totpStep(nowMs, opts), opts);
}

/**
 * Returns the matching step, or undefined. Every candidate in the window is compared in constant time
 * and the loop never exits early, so timing does not tell which step matched. Steps at or before
 * `lastUsedStep` never match (replay).
 */
export function verifyTotp(
  secret: Buffer,
  code: string,
  nowMs: number,
  opts: TotpOptions & { window?: number; lastUsedStep?: number | null } = {},
): number | undefined {
  const digits = opts.digits ?? 6;
  const wellFormed = code.length === digits && /^\d+$/.test(code);
  const presented = Buffer.from(wellFormed ? code : '\0'.repeat(digits), 'latin1');
  const current = totpStep(nowMs, opts);
  const window = opts.window ?? 1;
  let matched: number | undefined;
  for (let step = current - window; step <= current + window; step++) {
    const expected = Buffer.from(hotp(secret, Math.max(step, 0), opts), 'utf8');
    const equal = timingSafeEqual(expected, presented);
    if (equal && wellFormed && step >= 0 && matched === undefined) matched = step;
  }
  if (matched === undefined) return undefined;
  if (opts.lastUsedStep != null && matched <= opts.lastUsedStep) return undefined;
  return matched;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, as authenticator apps expect. */
export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const idx = ALPHABET.indexOf(ch);
    if (idx < 0) throw new RangeError('base32: invalid character');
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** 160-bit seed (RFC 4226 §4 recommends 160 bits). */
export function newTotpSecret(): Buffer {
  return randomBytes(20);
}

/** Key URI for authenticator apps (the de-facto otpauth:// format). */
export function otpauthUri(opts: { issuer: string; account: string; secret: Buffer }): string {
  const label = `${encodeURIComponent(opts.issuer)}:${encodeURIComponent(opts.account)}`;
  const q = new URLSearchParams({
    secret: base32Encode(opts.secret),
    issuer: opts.issuer,
    algorithm: 'SHA1',
    digits: '6',
    period: '30',
  });
  return `otpauth://totp/${label}?${q.toString()}`;
}
