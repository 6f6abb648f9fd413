import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createClock,
  createSpanIdSource,
  encodeSpans,
  keyValues,
  SPAN_KIND,
  STATUS_CODE,
} from './otlp-json.ts';

test('otlp-json: attribute values follow the proto3 JSON mapping (int64 as decimal strings)', () => {
  assert.deepEqual(keyValues({ s: 'x', b: true, i: 42, d: 1.5, nan: Number.NaN }), [
    { key: 's', value: { stringValue: 'x' } },
    { key: 'b', value: { boolValue: true } },
    { key: 'i', value: { intValue: '42' } },
    { key: 'd', value: { doubleValue: 1.5 } },
  ]);
});

test('otlp-json: clock keeps sub-microsecond precision past float64 range', () => {
  const clock = createClock(1_740_000_000_000.25);
  assert.equal(clock(0), '1740000000000250000');
  assert.equal(clock(1.000001), '1740000000001250001');
});

test('otlp-json: span ids are 16 hex, non-zero, unique', () => {
  const next = createSpanIdSource();
  const ids = new Set(Array.from({ length: 2000 }, next));
  assert.equal(ids.size, 2000);
  for (const id of ids) assert.match(id, /^(?!0{16})[0-9a-f]{16}$/);
});

test('otlp-json: children get ids at encoding and point at their parent; defaults omitted', () => {
  const parent = { spanId: 'aaaaaaaaaaaaaaaa' };
  const req = encodeSpans(
    [
      {
        traceId: 't'.repeat(32),
        parent,
        name: 'quota',
        kind: SPAN_KIND.internal,
        start: 1,
        end: 0.5,
        attributes: {},
        status: { code: STATUS_CODE.unset },
      },
    ],
    { 'service.name': 'airlock' },
    { name: 'airlock.pipeline' },
    createClock(0),
    () => 'bbbbbbbbbbbbbbbb',
  );
  assert.deepEqual(req.resourceSpans[0]!.scopeSpans[0]!.spans, [
    {
      traceId: 't'.repeat(32),
      spanId: 'bbbbbbbbbbbbbbbb',
      parentSpanId: 'aaaaaaaaaaaaaaaa',
      name: 'quota',
      kind: 1,
      startTimeUnixNano: '1000000',
      endTimeUnixNano: '1000000',
    },
  ]);
});
