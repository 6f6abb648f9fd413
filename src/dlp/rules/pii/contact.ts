// Contact details: email addresses and phone numbers.

import type { CountryCode } from 'libphonenumber-js/max';
import type { PatternRule } from '../secret-rule.ts';
import { labelledAsOther } from './context.ts';
import { createPhoneValidator } from './phone-validator.ts';

export const emailRule: PatternRule = {
  id: 'email-address',
  type: 'EMAIL',
  category: 'pii',
  description: 'Email address.',
  keywords: ['@'],
  pattern: String.raw`(?:^|[^A-Za-z0-9._%+-])(?P<secret>[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?:[^A-Za-z0-9-]|$)`,
  // The local part is at most 64 ASCII characters (RFC 5321 §4.5.3.1.1, and the pattern's {1,64}).
  anchor: { bytes: '@', maxBefore: 64 },
  severity: 'medium',
  examples: {
    positive: ['mail jane.doe+tag@example.co.uk today', 'a@b.io,c@d.io'],
    negative: ['user@localhost', 'no at sign here', '@handle'],
  },
};

/** Phone numbers: a cheap RE2 candidate pass, a few shape checks, then libphonenumber's full
 *  validation (max metadata, patterns compiled once: phone-validator.ts) on what is left. */
export function phoneRule(defaultRegion: CountryCode = 'US'): PatternRule {
  const cache = new Map<string, boolean>();
  const isValid = createPhoneValidator(defaultRegion);
  return {
    id: 'phone-number',
    type: 'PHONE_NUMBER',
    category: 'pii',
    description: `Phone number valid for its region (default region ${defaultRegion}).`,
    keywords: [],
    pattern: String.raw`(?:^|[^0-9A-Za-z+_.-])(?P<secret>(?:\+|00)?[0-9(][0-9 ().-]{5,20}[0-9])(?:[^0-9A-Za-z_-]|$)`,
    // A digit within 23 bytes of the start (the closing [0-9] at the latest); at most 24 bytes.
    anchor: { bytes: '0123456789', maxBefore: 23, maxLength: 24 },
    validate: (candidate, ctx) => {
      let digits = 0;
      let dots = 0;
      for (let i = 0; i < candidate.length; i++) {
        const c = candidate.charCodeAt(i);
        if (c >= 48 && c <= 57) digits++;
        else if (c === 46) dots++;
      }
      if (digits < 7 || digits > 15) return false;
      // Dotted runs are versions, IPs and dates far more often than phones ("1.2.3456.7").
      if (dots > 0 && !/^(?:\+?[0-9]{1,3}\.)?[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{3,4}$/.test(candidate))
        return false;
      // A dotted quad is an IPv4 address, not a phone ("80.58.209.229").
      if (dots === 3 && /^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$/.test(candidate)) return false;
      // ISO dates and times: 2024-11-22, 2024-11-22 10:30.
      if (/^[12][0-9]{3}-[01][0-9]-[0-3][0-9]/.test(candidate)) return false;
      if (labelledAsOther(ctx)) return false;
      // The stream scanner re-reads its window, so remember answers.
      let valid = cache.get(candidate);
      if (valid === undefined) {
        valid = isValid(candidate);
        if (cache.size >= 512) cache.delete(cache.keys().next().value!);
        cache.set(candidate, valid);
      }
      return valid;
    },
    severity: 'medium',
    examples: {
      positive: [
        'call +44 20 7946 0958 now',
        'office: (212) 555-0123',
        'ring +1 415 555 2671.',
        'order desk phone: 212-555-0123',
        'phone no. (212) 555-0123',
      ],
      negative: [
        'on 2024-11-22',
        'order 123456789',
        'version 1.2.3',
        'call 555',
        'Order #2125550123 shipped',
        'invoice no. 415-555-2671',
      ],
    },
  };
}
