// Property tests for the issue 7 fast paths (text dense with findings): the split prefilter and the
// unbounded search of a trailing `{m,n}` secret each give exactly what their plain RE2 reference
// gives, on the evaluation corpus and on random text built to hit the
// edges (keywords in every case mix, near misses, long runs around the bounds, U+212A/U+017F).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import RE2 from 're2';
import { base64Trigger } from './base64.ts';
import { createDlpEngine } from './engine.ts';
import { generateCorpus } from './eval/corpus.ts';
import { prepareText } from './prepared.ts';
import { compilePattern, compileSecretRule, spans } from './rules/secret-rule.ts';
import { secretRules } from './rules/secrets/index.ts';

function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const engine = createDlpEngine();
const keywords = [...new Set(engine.detectors.flatMap((d) => d.keywords))];

/** The prefilter as one RE2.Set of every keyword and trigger, base64's last (before issue 7). */
function referenceCandidates(bytes: Buffer): number[] {
  const sources: string[] = [];
  const targets: number[][] = [];
  engine.detectors.forEach((d, i) => {
    if (d.trigger !== undefined) {
      sources.push(d.trigger);
      targets.push([i]);
    }
    for (const k of d.keywords) {
      sources.push(`(?i:${k.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')})`);
      targets.push([i]);
    }
  });
  sources.push(base64Trigger(engine.config.base64.minLength));
  targets.push([engine.detectors.length]);
  referenceSet ??= new RE2.Set(sources, 'u', { maxMem: 256 * 1024 * 1024 });
  return [...new Set(referenceSet.match(bytes).flatMap((s) => targets[s]!))].sort((a, b) => a - b);
}
let referenceSet: InstanceType<typeof RE2.Set> | undefined;

/** Random text: keywords in random case, separators, digits, base64-ish runs, some non-ASCII. */
function plantedTexts(count: number, seed: number): string[] {
  const next = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const pieces = [' ', '=', ':', '"', '\n', '-', '_', 'é', '€', '😀', 'x', '7', 'A'];
  return Array.from({ length: count }, () => {
    let s = '';
    const n = 1 + Math.floor(next() * 12);
    for (let i = 0; i < n; i++) {
      const r = next();
      if (r < 0.4) {
        const k = pick(keywords);
        s += [...k].map((c) => (next() < 0.5 ? c.toUpperCase() : c)).join('');
      } else if (r < 0.5)
        s += pick(keywords).slice(0, -1); // a near miss
      else s += pick(pieces).repeat(1 + Math.floor(next() * 3));
    }
    return s;
  });
}

describe('dense text fast paths', () => {
  test('prefilter: same candidates as one RE2.Set of keywords and triggers (corpus, random, U+212A/U+017F)', () => {
    const inputs = [
      ...[1, 2, 3].flatMap((seed) =>
        generateCorpus({ seed, positives: 200, negatives: 100 }).map((d) => d.text),
      ),
      ...plantedTexts(1500, 23),
      // RE2 folds U+212A to k and U+017F to s: the prefilter must still select the rule.
      'my to\u212Aen = "Zx81Qa93Lm20Pw75"',
      'pa\u017F\u017Fword: Hunter2Hunter2',
    ];
    for (const text of inputs) {
      const bytes = Buffer.from(text, 'utf8');
      assert.deepEqual(engine.prefilter.candidates(bytes), referenceCandidates(bytes), JSON.stringify(text));
    }
    const kelvin = engine.prefilter.candidates('my to\u212Aen = x');
    assert.ok(kelvin.some((i) => engine.detectors[i]!.id === 'generic-api-key-assignment'));
  });

  test('every credential rule: spans equal the plain capture search of its pattern (corpus and long runs)', () => {
    const next = random(9);
    const run = (n: number) => {
      const cls = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=._~-';
      let s = '';
      for (let i = 0; i < n; i++) s += cls[Math.floor(next() * cls.length)];
      return s;
    };
    // Long values right at and around a rule's upper bound (256 for the generic assignment).
    const edges = [15, 16, 17, 31, 32, 33, 255, 256, 257, 300, 513].flatMap((n) => [
      `api_key = "${run(n)}"`,
      `MY_TOKEN=${run(n)} secret: ${run(n)}`,
      `x-api-key: ${run(n)}\n//registry.npmjs.org/:_authToken=${run(n)}`,
    ]);
    const inputs = [
      ...[4, 5].flatMap((seed) =>
        generateCorpus({ seed, positives: 200, negatives: 100 }).map((d) => d.text),
      ),
      ...edges,
      ...secretRules.flatMap((r) => r.examples.positive),
    ].filter((t) => prepareText(t).ascii);
    let compared = 0;
    for (const rule of secretRules) {
      // The raw search: no entropy or checksum verdicts, so every span is compared.
      const fast = compileSecretRule({ ...rule, minEntropy: undefined, validate: undefined });
      if (rule.anchor !== undefined) continue;
      const plain = compilePattern(rule.pattern);
      for (const text of inputs) {
        const want = [...spans(plain, Buffer.from(text, 'latin1'))];
        const got = fast.find(text);
        if (want.length > 0) compared++;
        assert.deepEqual(got, want, `${rule.id}: ${JSON.stringify(text.slice(0, 200))}`);
      }
    }
    assert.ok(compared > 1000, `rules must match something (${compared})`);
  });
});
