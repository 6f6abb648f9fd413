import assert from 'node:assert/strict';
import { test } from 'node:test';
import canonicalize from 'canonicalize';
import { canonicalJson } from './canonical-json.ts';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NUMBERS = [0, -0, 1, -1, 1e21, 1e-7, 123.456, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 60, -1.5e300];
const CHARS = [
  'a',
  'Z',
  '0',
  ' ',
  '"',
  '\\',
  '\n',
  '\u0001',
  '\u007f',
  'é',
  '€',
  '\u{1F600}',
  '\ud7ff',
  '\ue000',
];

function randomString(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) s += CHARS[Math.floor(r() * CHARS.length)];
  return s;
}

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 5 : 8));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return NUMBERS[Math.floor(r() * NUMBERS.length)]! * (r() < 0.5 ? 1 : r());
    case 3:
    case 4:
      return randomString(r);
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () =>
        r() < 0.1 ? undefined : randomValue(r, depth + 1),
      );
    default: {
      const o: Record<string, unknown> = {};
      const n = r() < 0.05 ? 20 : Math.floor(r() * 8); // 20: more than the insertion-sort cutoff
      for (let i = 0; i < n; i++) o[randomString(r)] = r() < 0.1 ? undefined : randomValue(r, depth + 1);
      return o;
    }
  }
}

test('canonicalJson: same text as the canonicalize reference on 2000 generated values', () => {
  const r = rng(6962);
  for (let i = 0; i < 2000; i++) {
    const v = randomValue(r, 0);
    assert.equal(canonicalJson(v), canonicalize(v), JSON.stringify(v));
  }
});

test('canonicalJson: RFC 8785 §3.2.3 sorts by UTF-16 code units, not code points', () => {
  // U+1F600 is the surrogate pair d83d de00, which sorts before U+E000 in UTF-16.
  assert.equal(canonicalJson({ '\ue000': 1, '\u{1F600}': 2, a: 3 }), '{"a":3,"\u{1F600}":2,"\ue000":1}');
});

test('canonicalJson: toJSON, boxed primitives and dropped members as JSON.stringify treats them', () => {
  const d = new Date('2026-01-02T03:04:05.678Z');
  const v = { d, n: Object(1), s: Object('x'), u: undefined, f: () => 1, a: [undefined, () => 1] };
  assert.equal(canonicalJson(v), canonicalize(v));
});

test('canonicalJson: values JSON cannot carry throw', () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '\ud800', { k: 1n }, { '\udc00': 1 }]) {
    assert.throws(() => canonicalJson(bad), String(bad));
  }
});

test('canonicalJson: deep nesting falls back to the reference, which still refuses cycles', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = { x: [deep] };
  assert.equal(canonicalJson(deep), canonicalize(deep));
  const cyclic: Record<string, unknown> = {};
  let at = cyclic;
  for (let i = 0; i < 40; i++) at = at['x'] = {};
  at['x'] = cyclic;
  assert.throws(() => canonicalJson(cyclic), /Circular/);
});

test('canonicalJson: names seen before (cached), long names and names past the cache bound encode alike', () => {
  const v = { 'a"b': 1, 'tab\t': 2, ['x'.repeat(100)]: 3, plain: [{ plain: 4 }] };
  const first = canonicalJson(v);
  assert.equal(first, canonicalize(v));
  assert.equal(canonicalJson(v), first);
  const many: Record<string, number> = {};
  for (let i = 0; i < 3000; i++) many[`k${i}`] = i;
  assert.equal(canonicalJson(many), canonicalize(many));
  assert.equal(canonicalJson(many), canonicalize(many));
  for (let i = 0; i < 2; i++) assert.throws(() => canonicalJson({ '\udc00': 1 }), /surrogate/i);
});
