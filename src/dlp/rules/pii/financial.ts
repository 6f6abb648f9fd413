// Payment cards (Luhn + issuer ranges) and IBANs (mod-97 + per-country length).
import { ibanMod97Valid, luhnValid } from '../../checksum.ts';
import type { PatternRule } from '../secret-rule.ts';
import { grouped, makeIban, withLuhn } from './synth-pii.ts';

/** A candidate often runs into a neighbouring number ("4111 … 1111 2029"): try each prefix that ends
 *  on a character, longest first, and keep the longest whose compacted form passes `ok`. */
function longestValidPrefix(ok: (compact: string) => boolean, separators: string, min: number, max: number) {
  return (candidate: string): number | false => {
    let compact = '';
    for (const ch of candidate) if (!separators.includes(ch)) compact += ch;
    // Walk back from the full candidate one kept character at a time.
    for (let end = candidate.length; end > 0; end--) {
      const ch = candidate[end - 1]!;
      if (separators.includes(ch)) continue;
      if (compact.length < min) return false;
      // Cut only where a separator follows: "DE89…0001" with one digit too many is not an IBAN.
      const atBoundary = end === candidate.length || separators.includes(candidate[end]!);
      if (atBoundary && compact.length <= max && ok(compact)) return end;
      compact = compact.slice(0, -1);
    }
    return false;
  };
}

/** Known issuer (IIN) prefixes and the lengths each network issues. */
function knownIssuer(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  if (d[0] === '4') return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925))
    return n >= 16 && n <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14 && n <= 19; // Diners
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  if (p2 === 50 || (p2 >= 56 && p2 <= 58) || p2 === 63 || p2 === 67) return n >= 12 && n <= 19; // Maestro
  if (p4 >= 2200 && p4 <= 2204) return n >= 16 && n <= 19; // Mir
  return false;
}

/** Card numbers the networks and payment providers publish for testing: they fill documentation,
 *  fixtures and tutorials and never belong to a cardholder. Compared on digits only. */
const PUBLISHED_TEST_CARDS = new Set([
  '4111111111111111',
  '4242424242424242',
  '4012888888881881',
  '4000056655665556',
  '4222222222222',
  '5555555555554444',
  '5105105105105100',
  '5200828282828210',
  '2223003122003222',
  '378282246310005',
  '371449635398431',
  '378734493671000',
  '6011111111111117',
  '6011000990139424',
  '3056930009020004',
  '30569309025904',
  '38520000023237',
  '3566002020360505',
  '3530111333300000',
  '6200000000000005',
]);

export const paymentCardRule: PatternRule = {
  id: 'payment-card-number',
  type: 'CREDIT_CARD',
  category: 'pii',
  description:
    'Payment card number (PAN): 13–19 digits, optional space/dash groups, Luhn-valid, known issuer.',
  keywords: [],
  pattern: String.raw`(?:^|[^0-9A-Za-z_.-])(?P<secret>[0-9]{4}(?:[ -]?[0-9]{2,4}){2,4}[0-9]{0,3})(?:[^0-9A-Za-z_-]|$)`,
  // Starts with a digit; at most 4 + 4 × 5 + 3 = 27 bytes.
  anchor: { bytes: '0123456789', maxBefore: 0, maxLength: 27 },
  validate: longestValidPrefix(
    (digits) => luhnValid(digits) && knownIssuer(digits) && !PUBLISHED_TEST_CARDS.has(digits),
    ' -',
    13,
    19,
  ),
  severity: 'high',
  examples: {
    positive: [
      `card ${grouped(withLuhn('453201511283036'))} exp 12/29`,
      `amex ${withLuhn('34987654321098')}`,
      `mc ${grouped(withLuhn('545454545454545'), 4, '-')}.`,
    ],
    negative: [
      `card ${withLuhn('411111111111111').slice(0, -1)}0`,
      'order 1234 5678 9012 3456',
      'for testing use 4242 4242 4242 4242 (published test card)',
      `id 9${withLuhn('11111111111111')}`,
    ],
  },
};

const IBAN_LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

export const ibanRule: PatternRule = {
  id: 'iban',
  type: 'IBAN',
  category: 'pii',
  description: 'International Bank Account Number with a valid mod-97 check and its country length.',
  keywords: [],
  pattern: String.raw`(?:^|[^A-Za-z0-9])(?P<secret>[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30})(?:[^A-Za-z0-9]|$)`,
  validate: longestValidPrefix(
    (iban) => IBAN_LENGTHS[iban.slice(0, 2)] === iban.length && ibanMod97Valid(iban),
    ' ',
    15,
    34,
  ),
  severity: 'high',
  examples: {
    positive: [
      `pay to ${grouped(makeIban('GB', 'WEST12345698765432'))} please`,
      `IBAN: ${makeIban('DE', '370400440532013000')}`,
      `${makeIban('FR', '20041010050500013M02606')}`,
    ],
    negative: ['GB00WEST12345698765432', `${makeIban('DE', '370400440532013000')}1`, 'ZZ12ABCDEFGHIJKLMNOP'],
  },
};
