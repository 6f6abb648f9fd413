import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDlpEngine } from './engine.ts';
import { extractOpenAiTexts, inspectOpenAiBody, replaceOpenAiTexts } from './walk-openai.ts';

const engine = createDlpEngine();
const awsKey = 'AKIA' + 'J7QH2MZP5XKR4WNV';

const chat = {
  model: 'm',
  messages: [
    { role: 'system', content: 'be brief' },
    {
      role: 'user',
      content: [
        { type: 'text', text: `mail jane@example.com` },
        { type: 'image_url', image_url: { url: 'x' } },
      ],
    },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: `{"k":"${awsKey}"}` } }],
    },
    { role: 'tool', tool_call_id: 't1', content: `result ${awsKey}` },
  ],
};

describe('walk-openai', () => {
  test('extracts chat string and multi-part content, tool-call arguments and tool results with paths', () => {
    assert.deepEqual(
      extractOpenAiTexts(chat).map((s) => s.path),
      [
        'messages[0].content',
        'messages[1].content[0].text',
        'messages[2].tool_calls[0].function.arguments',
        'messages[3].content',
      ],
    );
  });

  test('extracts completion prompts and embedding inputs (string or array; token ids skipped)', () => {
    assert.deepEqual(
      extractOpenAiTexts({ prompt: ['a', 'b'] }).map((s) => s.path),
      ['prompt[0]', 'prompt[1]'],
    );
    assert.deepEqual(
      extractOpenAiTexts({ prompt: 'a' }).map((s) => s.path),
      ['prompt'],
    );
    assert.deepEqual(
      extractOpenAiTexts({ input: ['x', [1, 2]] }).map((s) => s.path),
      ['input[0]'],
    );
    assert.deepEqual(
      extractOpenAiTexts({ input: 'x' }).map((s) => s.path),
      ['input'],
    );
  });

  test('replaceOpenAiTexts writes into a copy, leaving the original untouched', () => {
    const out = replaceOpenAiTexts(chat, new Map([['messages[1].content[0].text', 'X']]));
    assert.equal((out['messages'] as { content: { text: string }[] }[])[1]!.content[0]!.text, 'X');
    assert.equal(chat.messages[1]!.content instanceof Array, true);
    assert.notEqual(JSON.stringify(out), JSON.stringify(chat));
  });

  test('inspect input: a secret blocks by default, findings name their fields', () => {
    const r = inspectOpenAiBody(engine, chat, 'input');
    assert.equal(r.outcome, 'block');
    assert.deepEqual(
      r.findings.map((f) => [f.field, f.type]),
      [
        ['messages[1].content[0].text', 'EMAIL'],
        ['messages[2].tool_calls[0].function.arguments', 'AWS_ACCESS_KEY'],
        ['messages[3].content', 'AWS_ACCESS_KEY'],
      ],
    );
  });

  test('inspect with a redact policy: secrets replaced in place, PII left (alert)', () => {
    const r = inspectOpenAiBody(engine, chat, 'input', {
      categories: { secret: { input: 'redact' } },
      types: {},
    });
    assert.equal(r.outcome, 'redact');
    const json = JSON.stringify(r.body);
    assert.ok(!json.includes(awsKey));
    assert.ok(json.includes('[REDACTED:AWS_ACCESS_KEY]'));
    assert.ok(json.includes('jane@example.com'));
  });

  test('member names: a clean name is not re-scanned, yet a name with a secret is found every time and another engine scans afresh', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], [awsKey]: 1 };
    for (let i = 0; i < 3; i++) {
      const r = inspectOpenAiBody(engine, body, 'input');
      assert.deepEqual(
        r.findings.map((f) => [f.field, f.type]),
        [['{key}', 'AWS_ACCESS_KEY']],
      );
    }
    // 'content' is clean for the default engine (cached there); a site rule makes it a finding.
    const strict = createDlpEngine({ rules: [{ id: 'no-content', dictionary: ['content'] }] });
    const r = inspectOpenAiBody(strict, body, 'input');
    assert.ok(r.findings.some((f) => f.field === 'messages[0].{key}' && f.type === 'NO_CONTENT'));
  });
});
