import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import RE2 from 're2';
import { compileSecretRule } from '../secret-rule.ts';
import { secretRules } from './index.ts';

describe('secret rules', () => {
  test('catalogue: at least 150 rules with unique kebab-case ids', () => {
    assert.ok(secretRules.length >= 150, `only ${secretRules.length} rules`);
    const ids = new Set<string>();
    for (const r of secretRules) {
      assert.match(r.id, /^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      assert.ok(!ids.has(r.id), `duplicate id ${r.id}`);
      ids.add(r.id);
    }
  });

  test('catalogue: keywords are lower-case literals', () => {
    for (const r of secretRules) for (const k of r.keywords) assert.equal(k, k.toLowerCase(), r.id);
  });

  test('catalogue: every rule has positive and negative examples', () => {
    for (const r of secretRules) {
      assert.ok(r.examples.positive.length > 0, `${r.id}: no positive example`);
      assert.ok(r.examples.negative.length > 0, `${r.id}: no negative example`);
    }
  });

  for (const rule of secretRules) {
    test(`${rule.id}: examples`, () => {
      const detector = compileSecretRule(rule);
      assert.ok(detector.regexes.every((re) => re instanceof RE2));
      for (const p of rule.examples.positive) {
        assert.ok(detector.find(p).length > 0, `${rule.id} missed positive: ${p.slice(0, 80)}`);
        if (rule.keywords.length > 0) {
          const lower = p.toLowerCase();
          assert.ok(
            rule.keywords.some((k) => lower.includes(k)),
            `${rule.id}: no keyword in positive`,
          );
        }
      }
      for (const n of rule.examples.negative)
        assert.deepEqual(detector.find(n), [], `${rule.id} hit negative: ${n.slice(0, 80)}`);
    });
  }
});
