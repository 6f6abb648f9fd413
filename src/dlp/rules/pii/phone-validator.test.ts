import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { createPhoneValidator } from './phone-validator.ts';

// Deterministic pseudo-random digits (no Math.random: failures must reproduce).
function* digitStrings(seed: number, count: number): Generator<string> {
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const len = 7 + (s % 9);
    let d = '';
    for (let k = 0; k < len; k++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      d += String((s >>> 16) % 10);
    }
    yield d;
  }
}

describe('phone validator', () => {
  test('same verdict as libphonenumber isValid() on 8000 candidates, national and international', () => {
    for (const region of ['US', 'GB', 'DE', 'IN', 'FR', 'BR', 'JP', 'AR'] as const) {
      const fast = createPhoneValidator(region);
      let valid = 0;
      for (const d of digitStrings(region.charCodeAt(0) * 31 + region.charCodeAt(1), 500)) {
        for (const candidate of [d, `+${d}`]) {
          const expected =
            parsePhoneNumberFromString(candidate, { defaultCountry: region, extract: false })?.isValid() ??
            false;
          assert.equal(fast(candidate), expected, `${region} ${candidate}`);
          if (expected) valid++;
        }
      }
      assert.ok(valid > 10, `${region}: too few valid numbers (${valid}) to compare`);
    }
  });

  test('known answers: formatted numbers', () => {
    const us = createPhoneValidator('US');
    assert.equal(us('(212) 555-0123'), true);
    assert.equal(us('+44 20 7946 0958'), true);
    assert.equal(us('+44 20 7946 095'), false);
    assert.equal(us('123456789'), false);
  });
});
