import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDlpEngine } from './engine.ts';
import { applyRedactions, redactFindings } from './redact.ts';

const engine = createDlpEngine();
const awsKey = 'AKIA' + 'J7QH2MZP5XKR4WNV';

describe('redact', () => {
  test('typed placeholders replace every finding; positions of placeholders are reported', () => {
    const text = `id ${awsKey}, mail jane@example.com.`;
    const out = redactFindings(text, engine.scan(text));
    assert.equal(out.text, 'id [REDACTED:AWS_ACCESS_KEY], mail [REDACTED:EMAIL].');
    assert.deepEqual(
      out.placeholders.map((p) => out.text.slice(p.start, p.end)),
      ['[REDACTED:AWS_ACCESS_KEY]', '[REDACTED:EMAIL]'],
    );
  });

  test('mask keeps the last four characters of long values only', () => {
    const text = 'card 4111 1111 1111 1111 pin ab';
    const out = applyRedactions(text, [
      { start: 5, end: 24, type: 'CREDIT_CARD', mode: 'mask' },
      { start: 29, end: 31, type: 'PIN', mode: 'mask' },
    ]);
    assert.equal(out.text, 'card [REDACTED:CREDIT_CARD:…1111] pin [REDACTED:PIN]');
  });

  test('overlapping redactions never leave a fragment', () => {
    const out = applyRedactions('0123456789', [
      { start: 2, end: 6, type: 'A', mode: 'redact' },
      { start: 4, end: 8, type: 'B', mode: 'redact' },
    ]);
    assert.equal(out.text, '01[REDACTED:A][REDACTED:B]89');
    assert.ok(!out.text.includes('67'));
  });
});
