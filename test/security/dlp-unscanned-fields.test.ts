// Attack: put a credential in a part of an OpenAI request the DLP walker did not know about, which
// the upstream still forwards to the model (unknown fields pass through): a tool description or
// parameter schema, a message `name`, vLLM's `chat_template_kwargs` / `documents` (rendered into the
// prompt by the chat template), or a key. Secure default (P6): a credential headed to a model is
// blocked before any upstream sees it, wherever it sits. Real gateway, loopback mock upstream.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { synth, UPPER } from '../../src/dlp/rules/synth.ts';
import { type Harness, postJson, startHarness } from '../helpers/gateway-harness.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';

const AWS_KEY = `AKIA${synth('unscanned-fields', `${UPPER}234567`, 16)}`;
let upstream: MockOpenAiUpstream;
let h: Harness;

before(async () => {
  upstream = await startMockOpenAiUpstream({ chunkCount: 1 });
  h = await startHarness(upstream.url);
});
after(async () => {
  await h?.close();
  await upstream?.close();
});

const posts = () => upstream.requests.filter((r) => r.method === 'POST').length;
const user = [{ role: 'user', content: 'hello' }];

const smuggled: Record<string, Record<string, unknown>> = {
  'tool description': {
    messages: user,
    tools: [
      { type: 'function', function: { name: 'deploy', description: `use ${AWS_KEY}`, parameters: {} } },
    ],
  },
  'tool parameter schema': {
    messages: user,
    tools: [
      {
        type: 'function',
        function: { name: 'deploy', parameters: { type: 'object', properties: { k: { default: AWS_KEY } } } },
      },
    ],
  },
  'message name': { messages: [{ role: 'user', name: AWS_KEY, content: 'hello' }] },
  'vLLM chat_template_kwargs': { messages: user, chat_template_kwargs: { system_hint: `key ${AWS_KEY}` } },
  'vLLM documents': { messages: user, documents: [{ title: 'ops', text: `aws ${AWS_KEY}` }] },
  'a key': { messages: user, metadata: { [AWS_KEY]: 'x' } },
  'field named like a text slot path': { messages: user, 'messages[0].content': `key ${AWS_KEY}` },
};

for (const [where, extra] of Object.entries(smuggled))
  test(`a credential in the ${where} is blocked before forwarding`, async () => {
    const before = posts();
    const r = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, { model: 'gpt-test', ...extra });
    assert.equal(r.status, 400, r.text);
    assert.equal((r.json!.error as { code: string }).code, 'dlp_blocked');
    assert.equal(posts(), before, 'nothing reached the upstream');
    assert.ok(!JSON.stringify(h.audit.entries).includes(AWS_KEY), 'the value never reaches the audit log');
  });

test('the same request without a credential is forwarded', async () => {
  const before = posts();
  const r = await postJson(`${h.url}/v1/chat/completions`, h.clientKey, {
    model: 'gpt-test',
    messages: [{ role: 'user', name: 'alice', content: 'hello' }],
    tools: [{ type: 'function', function: { name: 'deploy', description: 'deploys', parameters: {} } }],
    chat_template_kwargs: { enable_thinking: false },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(posts(), before + 1);
});
