import assert from 'node:assert/strict';
import { test } from 'node:test';
import { traceFromHeader } from './trace-context.ts';

test('trace context: fresh ids are lower-case hex of the W3C lengths and never repeat across pool refills', () => {
  const traces = new Set<string>();
  const spans = new Set<string>();
  // 4096-byte pool, 24 bytes per request: 1000 requests cross several refills.
  for (let i = 0; i < 1000; i++) {
    const t = traceFromHeader(undefined);
    assert.match(t.traceId, /^[0-9a-f]{32}$/);
    assert.match(t.spanId, /^[0-9a-f]{16}$/);
    assert.equal(t.sampled, false);
    traces.add(t.traceId);
    spans.add(t.spanId);
  }
  assert.equal(traces.size, 1000);
  assert.equal(spans.size, 1000);
});

test('trace context: a valid traceparent is continued with a new span id; an all-zero one is not', () => {
  const header = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const t = traceFromHeader(header);
  assert.equal(t.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(t.parentSpanId, 'b7ad6b7169203331');
  assert.equal(t.sampled, true);
  assert.notEqual(t.spanId, 'b7ad6b7169203331');
  const zero = traceFromHeader(`00-${'0'.repeat(32)}-b7ad6b7169203331-01`);
  assert.notEqual(zero.traceId, '0'.repeat(32));
  assert.equal(zero.parentSpanId, undefined);
});
