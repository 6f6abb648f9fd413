// Phone validity with libphonenumber's max metadata, minus its per-call cost. The library compiles
// a RegExp for every pattern it tries — while parsing (to pick among the countries that share a
// calling code) and again in isValid() (ten number types) — about 15 µs a candidate, most of a
// dirty prompt's scan time. Here the numbering plans' patterns are compiled once; the common
// shapes (+CC…, 00CC…, national with a literal trunk prefix) are decided directly and everything
// else goes to the library. A test holds the verdicts equal to `isValid()`. Patterns are trusted
// metadata and inputs at most 17 digits, so V8's backtracking engine is safe here.
import { Metadata } from 'libphonenumber-js/core';
import type { CountryCode } from 'libphonenumber-js/max';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import maxMetadata from 'libphonenumber-js/max/metadata';

const TYPES = [
  'FIXED_LINE',
  'MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
] as const;

/** The parts of libphonenumber-js's Metadata class this file reads (not in its typings). */
interface NumberTypeInternals {
  pattern(): string;
  possibleLengths(): number[] | undefined;
}
interface MetadataInternals {
  selectNumberingPlan(countryOrCallingCode: string): void;
  hasTypes(): boolean;
  numberingPlan: {
    nationalNumberPattern(): string;
    nationalPrefixForParsing(): string | undefined;
    IDDPrefix(): string;
    nationalPrefixTransformRule(): string | undefined;
    type(t: string): NumberTypeInternals | undefined;
  };
}

interface MetadataJson {
  readonly country_calling_codes: Record<string, readonly string[]>;
  readonly nonGeographic?: Record<string, unknown>;
}

interface Plan {
  readonly general: RegExp;
  /** undefined: the plan has no per-type data; the general pattern decides. */
  readonly types:
    | readonly { readonly lengths: readonly number[] | undefined; readonly re: RegExp }[]
    | undefined;
  /** `^(?:national prefix for parsing)`: what the library may strip before validating. */
  readonly trunk: RegExp | undefined;
  /** The same as plain literals ("1", "0|180020"); undefined when it is a real pattern or comes
   *  with a transform rule: then the library decides. */
  readonly trunks: readonly string[] | undefined;
}

const whole = (source: string) => new RegExp(`^(?:${source})$`);

export function createPhoneValidator(defaultRegion: CountryCode): (candidate: string) => boolean {
  const metadata = new Metadata(maxMetadata) as unknown as MetadataInternals;
  const callingCodes = (maxMetadata as unknown as MetadataJson).country_calling_codes;
  const nonGeographic = Object.keys((maxMetadata as unknown as MetadataJson).nonGeographic ?? {});
  const plans = new Map<string, Plan>();

  function planFor(key: string): Plan {
    let plan = plans.get(key);
    if (plan === undefined) {
      metadata.selectNumberingPlan(key);
      const np = metadata.numberingPlan;
      const types = metadata.hasTypes()
        ? TYPES.flatMap((t) => {
            const def = np.type(t);
            const source = def?.pattern();
            return def && source ? [{ lengths: def.possibleLengths(), re: whole(source) }] : [];
          })
        : undefined;
      // Trunk prefixes the library strips before validating, when they are plain literals
      // ("1", "0|180020"); anything fancier (a pattern, a transform rule) goes to the library.
      const npfp = np.nationalPrefixForParsing();
      const trunks =
        np.nationalPrefixTransformRule() === undefined &&
        (npfp === undefined || /^[0-9]+(?:\|[0-9]+)*$/.test(npfp))
          ? (npfp ?? '').split('|').filter((t) => t !== '')
          : undefined;
      plan = {
        general: whole(np.nationalNumberPattern()),
        types,
        trunk: npfp ? new RegExp(`^(?:${npfp})`) : undefined,
        trunks,
      };
      plans.set(key, plan);
    }
    return plan;
  }

  function matches(plan: Plan, national: string): boolean {
    if (!plan.general.test(national)) return false;
    if (plan.types === undefined) return true;
    return plan.types.some(
      (t) => (t.lengths === undefined || t.lengths.includes(national.length)) && t.re.test(national),
    );
  }

  /** Valid in `country`, as written or after a trunk prefix; undefined: ask the library. */
  function validIn(country: string, national: string): boolean | undefined {
    const plan = planFor(country);
    if (plan.trunk?.test(national)) {
      if (plan.trunks === undefined) return undefined;
      if (plan.trunks.some((t) => national.startsWith(t) && matches(plan, national.slice(t.length))))
        return true;
    }
    return matches(plan, national);
  }

  function library(candidate: string): boolean {
    const phone = parsePhoneNumberFromString(candidate, { defaultCountry: defaultRegion, extract: false });
    return phone?.isValid() ?? false;
  }

  /** Decides among the countries sharing one calling code (the library picks the first whose
   *  plan accepts the number: +1 849… is the Dominican Republic, not the US). */
  function validInAny(countries: readonly string[], national: string, candidate: string): boolean {
    let unsure = false;
    for (const c of countries) {
      const v = c === '001' ? undefined : validIn(c, national);
      if (v === true) return true;
      if (v === undefined) unsure = true;
    }
    return unsure ? library(candidate) : false;
  }

  // National numbers are read in the default region, then in the regions sharing its code.
  const [homeCode, home] = Object.entries(callingCodes).find(([, list]) => list.includes(defaultRegion)) ?? [
    '',
    [],
  ];
  const homeCountries = [defaultRegion, ...home.filter((c) => c !== defaultRegion)];

  // "00" means "international" only where it is the region's exit code (not in the US or Brazil).
  metadata.selectNumberingPlan(defaultRegion);
  const exitIs00 = metadata.numberingPlan.IDDPrefix() === '00';

  return (candidate) => {
    if (candidate.includes('(0)')) return library(candidate);
    if (candidate.startsWith('00') && !exitIs00) return library(candidate);
    const digits = candidate.replace(/[^0-9]/g, '');
    if (candidate.startsWith('+') || candidate.startsWith('00')) {
      const rest = candidate.startsWith('+') ? digits : digits.slice(2);
      for (let n = 1; n <= 3; n++) {
        const countries = callingCodes[rest.slice(0, n)];
        if (countries === undefined) continue;
        return validInAny(countries, rest.slice(n), candidate);
      }
      // Non-geographic codes (+800, +882 …) live elsewhere in the metadata: the library decides.
      return nonGeographic.some((code) => rest.startsWith(code)) ? library(candidate) : false;
    }
    if (validInAny(homeCountries, digits, candidate)) return true;
    // "44 7877 …" in the UK: the calling code written without its plus.
    return homeCode !== '' && digits.startsWith(homeCode)
      ? validInAny(homeCountries, digits.slice(homeCode.length), candidate)
      : false;
  };
}
