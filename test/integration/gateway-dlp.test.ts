// DLP in the pipeline with secure defaults: credentials in prompts are blocked before any upstream
// sees them, PII is reported, and secrets in answers (JSON and streamed) are redacted. Audit entries
// carry finding types, never values.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { synth, UPPER } from '../../src/dlp/rules/synth.ts';
import { type Harness, postJson, startHarness } from '../helpers/gateway-harness.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';

// Synthetic credential built at run time (never a real key in the repo).
const AWS_KEY = `AKIA${synth('gw-dlp', `${UPPER}234567`, 16)}`;

describe('DLP in the gateway pipeline', () => {
  let upstream: MockOpenAiUpstream;
  let h: Harness;
  let client: OpenAI;

  before(async () => {
    upstream = await startMockOpenAiUpstream({ chunkCount: 4 });
    h = await startHarness(upstream.url);
    client = new OpenAI({ apiKey: h.clientKey, baseURL: `${h.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  test('a credential in a prompt is blocked; the error names the type, not the value; nothing is forwarded', async () => {
    const posts = () => upstream.requests.filter((r) => r.method === 'POST').length;
    const before = posts();
    const r = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: `please deploy with aws_access_key_id=${AWS_KEY}` }],
    });
    assert.equal(r.status, 400);
    const err = r.json!.error as { code: string; message: string };
    assert.equal(err.code, 'dlp_blocked');
    assert.match(err.message, /AWS_ACCESS_KEY/);
    assert.ok(!r.text.includes(AWS_KEY));
    assert.equal(posts(), before);
    const entry = h.audit.entries.filter((e) => e.type === 'request.completed').at(-1)!;
    assert.equal(entry.code, 'dlp_blocked');
    assert.ok(JSON.stringify(entry).includes('AWS_ACCESS_KEY'));
    assert.ok(!JSON.stringify(h.audit.entries).includes(AWS_KEY), 'the value never reaches the audit log');
  });

  test('credentials in tool-call arguments and multi-part content are inspected too', async () => {
    const viaTool = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, {
      model: 'gpt-test',
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'c1',
              type: 'function',
              function: { name: 'deploy', arguments: JSON.stringify({ key: AWS_KEY }) },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'ok' },
      ],
    });
    assert.equal((viaTool.json!.error as { code: string }).code, 'dlp_blocked');
    const viaParts = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: [{ type: 'text', text: `key ${AWS_KEY}` }] }],
    });
    assert.equal((viaParts.json!.error as { code: string }).code, 'dlp_blocked');
  });

  test('personal data is reported (alert) by default, not blocked', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'mail jane.doe@example.com' }],
    });
    assert.ok(res.choices[0]?.message.content);
    const entry = h.audit.entries.filter((e) => e.type === 'request.authorized').at(-1)!;
    const findings = (entry.detail as { findings: { type: string; action: string }[] }).findings;
    assert.deepEqual(
      findings.map((f) => [f.type, f.action]),
      [['EMAIL', 'alert']],
    );
    assert.ok(!JSON.stringify(entry).includes('jane.doe'));
  });

  test('a secret in a JSON answer is redacted with a typed placeholder', async () => {
    upstream.setBehaviour({ word: `here: ${AWS_KEY} ` });
    const res = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
    upstream.setBehaviour({ word: 'tok ' });
    const content = res.choices[0]?.message.content ?? '';
    assert.ok(!content.includes(AWS_KEY));
    assert.match(content, /\[REDACTED:AWS_ACCESS_KEY\]/);
  });

  test('a secret in a streamed answer is redacted before it is released', async () => {
    upstream.setBehaviour({ word: `here: ${AWS_KEY} ` });
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    upstream.setBehaviour({ word: 'tok ' });
    assert.ok(!text.includes(AWS_KEY));
    assert.equal(text.match(/\[REDACTED:AWS_ACCESS_KEY\]/g)?.length, 4);
    assert.equal(
      text.replaceAll('[REDACTED:AWS_ACCESS_KEY]', 'K'),
      'here: K '.repeat(4),
      'nothing else is lost',
    );
  });
});
