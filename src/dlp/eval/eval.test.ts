import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDlpEngine } from '../engine.ts';
import { generateCorpus, TYPES } from './corpus.ts';
import { evaluate } from './score.ts';

describe('dlp eval corpus', () => {
  test('generation is deterministic for a seed and differs across seeds', () => {
    const a = generateCorpus({ seed: 3, positives: 40, negatives: 20 });
    const b = generateCorpus({ seed: 3, positives: 40, negatives: 20 });
    const c = generateCorpus({ seed: 4, positives: 40, negatives: 20 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test('labels sit on the values: spans inside the text, negatives unlabelled', () => {
    const docs = generateCorpus({ seed: 5, positives: 2 * TYPES.length, negatives: 30 });
    for (const d of docs) {
      if (d.kind === 'negative') assert.equal(d.labels.length, 0);
      for (const l of d.labels) {
        assert.ok(l.start >= 0 && l.end <= d.text.length && l.end > l.start, d.id);
        assert.doesNotMatch(d.text.slice(l.start, l.end), /^\s|\s$/, `${d.id} ${l.type}`);
      }
    }
    const covered = new Set(docs.flatMap((d) => d.labels.map((l) => l.type)));
    for (const t of TYPES) assert.ok(covered.has(t.type), `no ${t.type} in corpus`);
  });

  test('evaluate: the built-in rules meet 0.95 precision and recall on a small corpus', () => {
    const report = evaluate(createDlpEngine(), generateCorpus({ seed: 11, positives: 150, negatives: 80 }));
    assert.ok(report.overall.precision >= 0.95, `precision ${report.overall.precision}`);
    assert.ok(report.overall.recall >= 0.95, `recall ${report.overall.recall}`);
  });

  test('evaluate: a finding of the wrong type is a false positive and its label a false negative', () => {
    const engine = createDlpEngine();
    const text = 'mail jane@example.com';
    const report = evaluate(engine, [
      { id: 'x', kind: 'prose', text, labels: [{ type: 'PHONE_NUMBER', start: 5, end: 21 }] },
    ]);
    assert.equal(report.overall.tp, 0);
    assert.equal(report.overall.fp, 1);
    assert.equal(report.overall.fn, 1);
  });
});
