// Property tests: each fast path of the scanner finds exactly what its plain reference finds, on
// random text built to hit the edge cases (runs at the window limits, padding, non-ASCII).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import RE2 from 're2';
import { createBase64Finder } from './base64.ts';
import { prepareText } from './prepared.ts';
import { emailRule, phoneRule } from './rules/pii/contact.ts';
import { paymentCardRule } from './rules/pii/financial.ts';
import { compileSecretRule } from './rules/secret-rule.ts';

/** Deterministic pseudo-random text (xorshift), so a failure reproduces. */
function texts(alphabet: readonly string[], count: number, maxLength: number, seed = 7): string[] {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
  return Array.from({ length: count }, () => {
    let s = '';
    const n = Math.floor(next() * maxLength);
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    return s;
  });
}

/** The string-walking UTF-8 → UTF-16 offset map prepared.ts used before its byte walk. */
function referenceMap(text: string): number[] {
  const map: number[] = [];
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    map[b] = i;
    if (c < 0x80) b += 1;
    else if (c < 0x800) {
      map[b + 1] = i + 1;
      b += 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        map[b + 1] = i + 1;
        map[b + 2] = i + 1;
        map[b + 3] = i + 1;
        b += 4;
        i++;
        continue;
      }
      map[b + 1] = i + 1;
      map[b + 2] = i + 1;
      b += 3;
    } else {
      map[b + 1] = i + 1;
      map[b + 2] = i + 1;
      b += 3;
    }
  }
  map[b] = text.length;
  return map;
}

describe('dlp fast paths', () => {
  test('byte → UTF-16 offsets: the byte walk agrees with the string walk everywhere', () => {
    const alphabet = ['a', 'é', '€', '😀', '\ud800', '\udc00', 'z\ud83d', '\u0800', '\u07ff', ' '];
    for (const t of texts(alphabet, 3000, 40, 13)) {
      const p = prepareText(t);
      const want = referenceMap(t);
      for (let b = 0; b <= p.bytes.length; b++)
        assert.equal(p.toUtf16(b), want[b], `${JSON.stringify(t)} @${b}`);
    }
  });

  test('email: skipping to 64 bytes before each @ finds the same addresses as the full search', () => {
    const anchored = compileSecretRule(emailRule);
    const { anchor: _skip, ...plain } = emailRule;
    const reference = compileSecretRule(plain);
    const alphabet = [
      'a',
      'B',
      '7',
      '.',
      '-',
      '_',
      '+',
      '@',
      '@',
      ' ',
      'example.com',
      'x'.repeat(60),
      'é',
      '\n',
    ];
    let found = 0;
    for (const t of texts(alphabet, 4000, 60)) {
      const want = reference.find(t);
      assert.deepEqual(anchored.find(t), want, JSON.stringify(t));
      found += want.length;
    }
    assert.ok(found > 500, `the corpus exercises matches (${found})`);
  });

  test('phone and card numbers: searching windows from each digit finds the same as the full search', () => {
    const alphabet = [
      '1',
      '4',
      '7',
      '0',
      ' ',
      '-',
      '.',
      '(',
      ')',
      '+',
      '00',
      'a',
      '_',
      'é',
      '\n',
      '4532015112830366',
      '+44 20 7946 0',
    ];
    let found = 0;
    for (const rule of [phoneRule('GB'), paymentCardRule]) {
      const anchored = compileSecretRule(rule);
      const { anchor: _skip, ...plain } = rule;
      const reference = compileSecretRule(plain);
      for (const t of texts(alphabet, 3000, 400, rule === paymentCardRule ? 5 : 3)) {
        const want = reference.find(t);
        assert.deepEqual(anchored.find(t), want, `${rule.id}: ${JSON.stringify(t)}`);
        found += want.length;
      }
    }
    assert.ok(found > 200, `the corpus exercises matches (${found})`);
  });

  test('base64: the end-of-match walk finds the same tokens as exec', () => {
    const finder = createBase64Finder({ minLength: 8, maxDecodedBytes: 1 << 16 });
    const re = new RE2('[A-Za-z0-9+/_-]{8,}={0,2}', 'g');
    const alphabet = ['A', 'b', 'Q', 'z', '0', '+', '/', '_', '-', '=', '==', ' ', '.', 'é', 'QUFBQUFB'];
    let compared = 0;
    for (const t of texts(alphabet, 4000, 70, 11)) {
      const p = prepareText(t);
      const want: string[] = [];
      re.lastIndex = 0;
      for (let m = re.exec(p.bytes); m !== null; m = re.exec(p.bytes)) {
        const s = m.index;
        const e = s + m[0].length;
        re.lastIndex = e;
        const token = p.bytes.subarray(s, e).toString('latin1');
        // The finder decodes only mixed-case tokens (looksEncoded): compare on those.
        if (/[A-Z]/.test(token) && /[a-z]/.test(token)) want.push(`${p.toUtf16(s)}-${p.toUtf16(e)}`);
      }
      const got: string[] = [];
      finder.find(p, (start, end) => {
        got.push(`${start}-${end}`);
        return true;
      });
      assert.deepEqual(got, want, JSON.stringify(t));
      compared += want.length;
    }
    assert.ok(compared > 500, `the corpus exercises tokens (${compared})`);
  });
});
