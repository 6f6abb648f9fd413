import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verhoeffCheckDigit, verhoeffValid } from '../../checksum.ts';
import { compileSecretRule } from '../secret-rule.ts';
import { dictionaryRule } from './dictionary.ts';
import { piiRules } from './index.ts';
import { withLuhn } from './synth-pii.ts';

describe('pii rules', () => {
  for (const rule of [
    ...piiRules('US'),
    dictionaryRule({ id: 'codenames', terms: ['Blue Falcon', 'orion'] }),
  ]) {
    test(`${rule.id}: examples`, () => {
      const detector = compileSecretRule(rule);
      assert.equal(detector.category === 'pii' || detector.category === 'custom', true);
      for (const p of rule.examples.positive)
        assert.ok(detector.find(p).length > 0, `${rule.id} missed: ${p}`);
      for (const n of rule.examples.negative) assert.deepEqual(detector.find(n), [], `${rule.id} hit: ${n}`);
    });
  }

  test('verhoeff: known answer 236 → check digit 3', () => {
    assert.equal(verhoeffCheckDigit('236'), 3);
    assert.ok(verhoeffValid('2363'));
    assert.ok(!verhoeffValid('2364'));
  });

  test('payment card: a candidate running into a year keeps the valid prefix', () => {
    const d = compileSecretRule(piiRules()[2]!);
    const pan = withLuhn('453201511283036').replace(/(\d{4})(?=\d)/g, '$1 ');
    const text = `card ${pan} 2029`;
    const [hit] = d.find(text);
    assert.equal(text.slice(hit!.start, hit!.end), pan);
  });

  test('phone: default region changes what validates', () => {
    const uk = compileSecretRule(piiRules('GB')[1]!);
    const us = compileSecretRule(piiRules('US')[1]!);
    assert.equal(uk.find('ring 020 7946 0958 today').length, 1);
    assert.equal(us.find('ring 020 7946 0958 today').length, 0);
  });

  test('dictionary: case-insensitive, whole word, longest term wins, adjacent terms both found', () => {
    const d = compileSecretRule(dictionaryRule({ id: 'codenames', terms: ['Blue', 'Blue Falcon', 'orion'] }));
    const text = 'ORION blue  falcon orion-x Orionx';
    const spans = d.find(text).map((s) => text.slice(s.start, s.end));
    assert.deepEqual(spans, ['ORION', 'blue  falcon', 'orion']);
  });

  test('email: adjacent addresses separated by one char are both found', () => {
    const d = compileSecretRule(piiRules()[0]!);
    assert.equal(d.find('a@b.io c@d.io').length, 2);
  });
});
