// National identifiers with their published validity rules.
import { luhnValid, verhoeffValid } from '../../checksum.ts';
import type { PatternRule } from '../secret-rule.ts';
import { labelledAsOther } from './context.ts';
import { withLuhn, withVerhoeff } from './synth-pii.ts';

/** US SSN: area 001–899 except 666, group 01–99, serial 0001–9999 (SSA randomisation rules). */
export const usSsnRule: PatternRule = {
  id: 'us-ssn',
  type: 'US_SSN',
  category: 'pii',
  description: 'US Social Security Number (dashed or spaced) with valid area/group/serial.',
  keywords: [],
  pattern: String.raw`(?:^|[^0-9A-Za-z-])(?P<secret>[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4})(?:[^0-9A-Za-z-]|$)`,
  validate: (v) => {
    const d = v.replace(/[^0-9]/g, '');
    const area = Number(d.slice(0, 3));
    const group = Number(d.slice(3, 5));
    const serial = Number(d.slice(5));
    if (area === 0 || area === 666 || area >= 900 || group === 0 || serial === 0) return false;
    // Advertising specimen numbers the SSA has voided.
    return d !== '078051120' && d !== '219099999';
  },
  severity: 'high',
  examples: {
    positive: ['SSN 536-22-1234.', 'ssn: 401 87 6543'],
    negative: [
      '666-12-3456',
      '000-12-3456',
      '912-34-5678',
      '123-00-4567',
      '123-45-0000',
      '078-05-1120',
      'tel 555-12-34567',
    ],
  },
};

/** UK National Insurance number (HMRC NIM39110): two prefix letters with excluded letters and pairs. */
export const ukNinoRule: PatternRule = {
  id: 'uk-nino',
  type: 'UK_NINO',
  category: 'pii',
  description: 'UK National Insurance number.',
  keywords: [],
  pattern: String.raw`(?:^|[^A-Za-z0-9])(?P<secret>[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D])(?:[^A-Za-z0-9]|$)`,
  validate: (v) => !['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(v.slice(0, 2)),
  severity: 'high',
  examples: {
    positive: ['NI number AB 12 34 56 C', 'nino=JG103759A'],
    negative: ['GB123456A', 'QQ123456C', 'AB123456E', 'DA123456A'],
  },
};

/** Canadian Social Insurance Number: 9 digits grouped 3-3-3, Luhn-valid, first digit not 0 or 8. */
export const caSinRule: PatternRule = {
  id: 'ca-sin',
  type: 'CA_SIN',
  category: 'pii',
  description: 'Canadian Social Insurance Number.',
  keywords: [],
  pattern: String.raw`(?:^|[^0-9A-Za-z-])(?P<secret>[1-79][0-9]{2}[- ][0-9]{3}[- ][0-9]{3})(?:[^0-9A-Za-z-]|$)`,
  validate: (v) => luhnValid(v),
  severity: 'high',
  examples: {
    positive: [`SIN ${sinSample()}`, `sin=${sinSample().replace(/ /g, '-')}`],
    negative: [
      'SIN 046-454-287',
      `SIN ${sinSample().slice(0, -1)}${(Number(sinSample().slice(-1)) + 1) % 10}`,
    ],
  },
};

function sinSample(): string {
  const d = withLuhn('19283746');
  return `${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`;
}

/** Spanish DNI (8 digits + check letter) and NIE (X/Y/Z + 7 digits + check letter), mod 23. */
const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
export const esDniRule: PatternRule = {
  id: 'es-dni-nie',
  type: 'ES_DNI',
  category: 'pii',
  description: 'Spanish DNI / NIE with a valid check letter.',
  keywords: [],
  pattern: String.raw`(?:^|[^A-Za-z0-9])(?P<secret>[XYZ]?[0-9]{7,8}-?[A-Z])(?:[^A-Za-z0-9]|$)`,
  validate: (v) => {
    const s = v.replace('-', '');
    const body = s.slice(0, -1).replace(/^X/, '0').replace(/^Y/, '1').replace(/^Z/, '2');
    if (!/^[0-9]{8}$/.test(body)) return false;
    return DNI_LETTERS[Number(body) % 23] === s.slice(-1);
  },
  severity: 'high',
  examples: {
    positive: [`DNI ${dni('12345678')}`, `NIE X${dni('01234567').slice(1)}`],
    negative: ['DNI 12345678A', 'ref 1234567-Q'],
  },
};

function dni(digits: string): string {
  return digits + DNI_LETTERS[Number(digits) % 23];
}

/** India Aadhaar: 12 digits, first 2–9, Verhoeff check digit. */
export const inAadhaarRule: PatternRule = {
  id: 'in-aadhaar',
  type: 'IN_AADHAAR',
  category: 'pii',
  description: 'Indian Aadhaar number with a valid Verhoeff check digit.',
  keywords: [],
  pattern: String.raw`(?:^|[^0-9A-Za-z])(?P<secret>[2-9][0-9]{3} ?[0-9]{4} ?[0-9]{4})(?:[^0-9A-Za-z]|$)`,
  validate: (v, ctx) => verhoeffValid(v) && !labelledAsOther(ctx, /(?:aadhaa?r|uidai|uid)\W{0,3}$/),
  severity: 'high',
  examples: {
    positive: [`aadhaar ${withVerhoeff('23456789012').replace(/(\d{4})(\d{4})(\d{4})/, '$1 $2 $3')}`],
    negative: [
      `aadhaar ${withVerhoeff('23456789012').slice(0, -1)}${(Number(withVerhoeff('23456789012').slice(-1)) + 1) % 10}`,
      '1234 5678 9012',
    ],
  },
};
