// Synthetic, checksum-valid identifiers for PII examples (never real people's data).
import { ibanMod97Valid, luhnValid, verhoeffCheckDigit } from '../../checksum.ts';

/** Appends the Luhn check digit to `partial` digits. */
export function withLuhn(partial: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(partial + d)) return partial + d;
  throw new Error('unreachable');
}

/** Builds an IBAN for `country` + `bban` with correct mod-97 check digits. */
export function makeIban(country: string, bban: string): string {
  for (let cd = 2; cd <= 98; cd++) {
    const iban = country + String(cd).padStart(2, '0') + bban;
    if (ibanMod97Valid(iban)) return iban;
  }
  throw new Error('unreachable');
}

export function withVerhoeff(partial: string): string {
  return partial + verhoeffCheckDigit(partial);
}

/** Groups `s` in blocks of `n` separated by `sep` (how people write cards and IBANs). */
export function grouped(s: string, n = 4, sep = ' '): string {
  return s.match(new RegExp(`.{1,${n}}`, 'g'))!.join(sep);
}
