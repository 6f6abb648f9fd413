import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createNdjsonSplitter } from './ndjson.ts';

function splitAll(pieces: string[]): string[] {
  const s = createNdjsonSplitter();
  const out: string[] = [];
  for (const p of pieces) out.push(...s.push(p));
  out.push(...s.flush());
  return out;
}

test('ndjson: lines split across pushes, CRLF and blank lines', () => {
  assert.deepEqual(splitAll(['{"a":', '1}\r\n\n{"b"', ':2}\n{"c":3}']), ['{"a":1}', '{"b":2}', '{"c":3}']);
});

test('ndjson: random split points give the same lines (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.jsonValue(), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (values, cuts) => {
        const lines = values.map((v) => JSON.stringify(v));
        const text = `${lines.join('\n')}\n`;
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const pieces: string[] = [];
        let prev = 0;
        for (const p of points) {
          pieces.push(text.slice(prev, p));
          prev = p;
        }
        pieces.push(text.slice(prev));
        assert.deepEqual(
          splitAll(pieces).map((l) => JSON.parse(l)),
          JSON.parse(JSON.stringify(values)),
        );
      },
    ),
    { numRuns: 200 },
  );
});
