import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockError } from '../../errors.ts';
import { parseChatRequest, parseCompletionRequest, parseEmbeddingRequest } from './openai-requests.ts';

const invalid = (e: unknown) => e instanceof AirlockError && e.code === 'invalid_request';

test('chat: roles map to the chat history, text parts join, sampling fields carry over', () => {
  const r = parseChatRequest({
    model: 'x',
    messages: [
      { role: 'developer', content: 'be brief' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      { role: 'assistant', content: 'c' },
      { role: 'user', content: 'd' },
    ],
    max_completion_tokens: 9,
    temperature: 0.2,
    top_p: 0.5,
    seed: 3,
    stop: 'x',
    stream: true,
    stream_options: { include_usage: true },
    logit_bias: {},
  });
  assert.deepEqual(r.history, [
    { type: 'system', text: 'be brief' },
    { type: 'user', text: 'ab' },
    { type: 'model', response: ['c'] },
    { type: 'user', text: 'd' },
  ]);
  assert.deepEqual(r.params, {
    maxTokens: 9,
    temperature: 0.2,
    topP: 0.5,
    seed: 3,
    stop: ['x'],
    stream: true,
    includeUsage: true,
  });
});

test('chat: what the worker cannot honour is refused, not ignored', () => {
  const messages = [{ role: 'user', content: 'hi' }];
  assert.throws(() => parseChatRequest({ messages: [] }), invalid);
  assert.throws(() => parseChatRequest({ messages, n: 3 }), invalid);
  assert.throws(() => parseChatRequest({ messages, tools: [{ type: 'function' }] }), invalid);
  assert.throws(() => parseChatRequest({ messages, response_format: { type: 'json_object' } }), invalid);
  assert.throws(
    () => parseChatRequest({ messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }),
    invalid,
  );
  assert.throws(() => parseChatRequest({ messages, temperature: 3 }), invalid);
  assert.doesNotThrow(() => parseChatRequest({ messages, tools: [] }));
});

test('completions: prompt shapes and the 16-token default', () => {
  assert.equal(parseCompletionRequest({ prompt: 'p' }).params.maxTokens, 16);
  assert.equal(parseCompletionRequest({ prompt: ['p'] }).prompt, 'p');
  assert.deepEqual(parseCompletionRequest({ prompt: [1, 2] }).prompt, [1, 2]);
  assert.deepEqual(parseCompletionRequest({ prompt: [[1, 2]] }).prompt, [1, 2]);
  assert.throws(() => parseCompletionRequest({ prompt: ['a', 'b'] }), invalid);
  assert.throws(() => parseCompletionRequest({ prompt: 'p', echo: true }), invalid);
});

test('embeddings: string or list input, float by default', () => {
  assert.deepEqual(parseEmbeddingRequest({ input: 'a' }), { inputs: ['a'], encoding: 'float' });
  assert.deepEqual(parseEmbeddingRequest({ input: ['a', 'b'], encoding_format: 'base64' }), {
    inputs: ['a', 'b'],
    encoding: 'base64',
  });
  assert.throws(() => parseEmbeddingRequest({ input: [] }), invalid);
});
