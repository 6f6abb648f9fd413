// Contact details: email addresses and phone numbers.

import type { CountryCode } from 'libphonenumber-js/max';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { PatternRule } from '../secret-rule.ts';

export const emailRule: PatternRule = {
  id: 'email-address',
  type: 'EMAIL',
  category: 'pii',
  description: 'Email address.',
  keywords: ['@'],
  pattern: String.raw`(?:^|[^A-Za-z0-9._%+-])(?P<secret>[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?:[^A-Za-z0-9-]|$)`,
  severity: 'medium',
  examples: {
    positive: ['mail jane.doe+tag@example.co.uk today', 'a@b.io,c@d.io'],
    negative: ['user@localhost', 'no at sign here', '@handle'],
  },
};

/** Phone numbers: a cheap RE2 candidate pass, then libphonenumber's full validation (max metadata)
 *  on each candidate only — running its text scanner over the whole prompt costs ~1 ms per 2 KB. */
export function phoneRule(defaultRegion: CountryCode = 'US'): PatternRule {
  const cache = new Map<string, boolean>();
  return {
    id: 'phone-number',
    type: 'PHONE_NUMBER',
    category: 'pii',
    description: `Phone number valid for its region (default region ${defaultRegion}).`,
    keywords: [],
    pattern: String.raw`(?:^|[^0-9A-Za-z+_.-])(?P<secret>(?:\+|00)?[0-9(][0-9 ().-]{5,20}[0-9])(?:[^0-9A-Za-z_-]|$)`,
    validate: (candidate) => {
      const digits = candidate.replace(/[^0-9]/g, '').length;
      if (digits < 7 || digits > 15) return false;
      // Full validation costs ~15 µs; the stream scanner re-reads its window, so remember answers.
      let valid = cache.get(candidate);
      if (valid === undefined) {
        const phone = parsePhoneNumberFromString(candidate, {
          defaultCountry: defaultRegion,
          extract: false,
        });
        valid = phone?.isValid() ?? false;
        if (cache.size >= 512) cache.delete(cache.keys().next().value!);
        cache.set(candidate, valid);
      }
      return valid;
    },
    severity: 'medium',
    examples: {
      positive: ['call +44 20 7946 0958 now', 'office: (212) 555-0123', 'ring +1 415 555 2671.'],
      negative: ['on 2024-11-22', 'order 123456789', 'version 1.2.3', 'call 555'],
    },
  };
}
