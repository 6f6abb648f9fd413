import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createSseParser, type SseEvent } from './sse-parser.ts';

function parseAll(pieces: string[]): SseEvent[] {
  const p = createSseParser();
  const out: SseEvent[] = [];
  for (const piece of pieces) out.push(...p.push(piece));
  out.push(...p.flush());
  return out;
}

function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let prev = 0;
  for (const p of points) {
    pieces.push(text.slice(prev, p));
    prev = p;
  }
  pieces.push(text.slice(prev));
  return pieces;
}

test('sse: data lines, blank-line dispatch and [DONE]', () => {
  const events = parseAll(['data: {"a":1}\n\ndata: {"a":2}\n\ndata: [DONE]\n\n']);
  assert.deepEqual(
    events.map((e) => e.data),
    ['{"a":1}', '{"a":2}', '[DONE]'],
  );
  assert.equal(events[0]?.event, 'message');
});

test('sse: CRLF and lone CR line endings', () => {
  assert.deepEqual(
    parseAll(['data: x\r\n\r\ndata: y\r\rdata: z\n\n']).map((e) => e.data),
    ['x', 'y', 'z'],
  );
});

test('sse: CR at the end of one push and LF at the start of the next are one line ending', () => {
  assert.deepEqual(
    parseAll(['data: x\r', '\n\r', '\ndata: y\r', '\r']).map((e) => e.data),
    ['x', 'y'],
  );
});

test('sse: comments, unknown fields, id and retry are ignored', () => {
  assert.deepEqual(
    parseAll([': ping\n\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n']).map((e) => e.data),
    ['x'],
  );
});

test('sse: multi-line data is joined with \\n; no space after colon is allowed', () => {
  assert.deepEqual(
    parseAll(['data:{"a":\ndata: 1}\n\n']).map((e) => e.data),
    ['{"a":\n1}'],
  );
});

test('sse: event name is reported and reset after dispatch', () => {
  const events = parseAll(['event: error\ndata: {"error":{}}\n\ndata: x\n\n']);
  assert.deepEqual(
    events.map((e) => e.event),
    ['error', 'message'],
  );
});

test('sse: an event without data is not dispatched', () => {
  assert.deepEqual(parseAll(['event: noop\n\n: c\n\n']), []);
});

test('sse: stream ending without a final blank line still yields the last event', () => {
  assert.deepEqual(
    parseAll(['data: a\n\ndata: [DONE]']).map((e) => e.data),
    ['a', '[DONE]'],
  );
});

test('sse: a leading BOM is skipped', () => {
  assert.deepEqual(
    parseAll(['\ufeffdata: a\n\n']).map((e) => e.data),
    ['a'],
  );
});

test('sse: random split points give the same events as one push (property)', () => {
  const eols = ['\n', '\r\n', '\r'];
  const payload = fc.stringMatching(/^[^\r\n]{0,20}$/);
  const eventArb = fc.record({
    lines: fc.array(payload, { minLength: 1, maxLength: 3 }),
    eol: fc.constantFrom(...eols),
    comment: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.array(eventArb, { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (evs, cuts) => {
        let text = '';
        for (const ev of evs) {
          if (ev.comment) text += `: keep-alive${ev.eol}`;
          for (const l of ev.lines) text += `data: ${l}${ev.eol}`;
          text += ev.eol;
        }
        const expected = evs.map((ev) => ev.lines.join('\n'));
        assert.deepEqual(
          parseAll(splitAt(text, cuts)).map((e) => e.data),
          expected,
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('sse: bytes split inside a multi-byte character decode correctly with a streaming TextDecoder', () => {
  const bytes = Buffer.from('data: {"c":"héllo 🌍"}\n\n');
  for (let cut = 1; cut < bytes.length; cut++) {
    const dec = new TextDecoder();
    const p = createSseParser();
    const out = [
      ...p.push(dec.decode(bytes.subarray(0, cut), { stream: true })),
      ...p.push(dec.decode(bytes.subarray(cut), { stream: true })),
      ...p.flush(),
    ];
    assert.deepEqual(
      out.map((e) => e.data),
      ['{"c":"héllo 🌍"}'],
    );
  }
});
