// Built-in PII detectors. The phone rule depends on the configured default region.
import type { CountryCode } from 'libphonenumber-js/max';
import type { PatternRule } from '../secret-rule.ts';
import { emailRule, phoneRule } from './contact.ts';
import { ibanRule, paymentCardRule } from './financial.ts';
import { caSinRule, esDniRule, inAadhaarRule, ukNinoRule, usSsnRule } from './national-ids.ts';
import { ipv4Rule, ipv6Rule } from './network.ts';

export function piiRules(defaultRegion: CountryCode = 'US'): PatternRule[] {
  return [
    emailRule,
    phoneRule(defaultRegion),
    paymentCardRule,
    ibanRule,
    usSsnRule,
    ukNinoRule,
    caSinRule,
    esDniRule,
    inAadhaarRule,
    ipv4Rule,
    ipv6Rule,
  ];
}
