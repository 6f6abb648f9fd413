import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockError } from '../errors.ts';
import { createChatStreamTranslator, createCompletionStreamTranslator } from './ollama-stream-translate.ts';
import {
  fromOllamaChat,
  fromOllamaEmbed,
  fromOllamaGenerate,
  type TranslateContext,
  toOllamaChat,
  toOllamaEmbed,
  toOllamaGenerate,
} from './ollama-translate.ts';

const ctx: TranslateContext = {
  id: 'chatcmpl-abc1',
  created: 1700000000,
  model: 'llama3',
  includeUsage: false,
};

test('ollama chat request: options mapping (temperature, top_p, max_tokens→num_predict, stop, seed)', () => {
  const out = toOllamaChat(
    {
      model: 'llama3',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 64,
      stop: 'END',
      seed: 7,
    },
    true,
  );
  assert.deepEqual(out, {
    model: 'llama3',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    options: { temperature: 0.2, top_p: 0.9, num_predict: 64, stop: ['END'], seed: 7 },
  });
});

test('ollama chat request: max_completion_tokens wins; json_object and json_schema formats', () => {
  const a = toOllamaChat(
    {
      model: 'm',
      messages: [],
      max_tokens: 5,
      max_completion_tokens: 9,
      response_format: { type: 'json_object' },
    },
    false,
  );
  assert.deepEqual(a.options, { num_predict: 9 });
  assert.equal(a.format, 'json');
  assert.equal(a.stream, false);
  const schema = { type: 'object', properties: { a: { type: 'string' } } };
  const b = toOllamaChat(
    {
      model: 'm',
      messages: [],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
    },
    false,
  );
  assert.deepEqual(b.format, schema);
  assert.equal(b.options, undefined);
});

test('ollama chat request: tool calls and tool results (tool_call_id → tool_name), developer → system, content parts and images', () => {
  const tools = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }];
  const out = toOllamaChat(
    {
      model: 'm',
      tools,
      messages: [
        { role: 'developer', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is ' },
            { type: 'text', text: 'this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":20}' },
      ],
    },
    true,
  );
  assert.deepEqual(out.tools, tools);
  assert.deepEqual(out.messages, [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'what is this?', images: ['AAAA'] },
    {
      role: 'assistant',
      content: '',
      tool_calls: [{ function: { name: 'weather', arguments: { city: 'Paris' } } }],
    },
    { role: 'tool', content: '{"temp":20}', tool_name: 'weather' },
  ]);
});

test('ollama chat response → chat.completion with usage and finish_reason', () => {
  const r = fromOllamaChat(
    {
      model: 'llama3',
      message: { role: 'assistant', content: 'Hello' },
      done: true,
      done_reason: 'length',
      prompt_eval_count: 12,
      eval_count: 3,
    },
    ctx,
  );
  assert.deepEqual(r, {
    id: 'chatcmpl-abc1',
    object: 'chat.completion',
    created: 1700000000,
    model: 'llama3',
    choices: [
      { index: 0, message: { role: 'assistant', content: 'Hello' }, logprobs: null, finish_reason: 'length' },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
  });
});

test('ollama chat response with tool calls → OpenAI tool_calls with string arguments and ids', () => {
  const r = fromOllamaChat(
    {
      message: {
        role: 'assistant',
        content: '',
        tool_calls: [{ function: { name: 'weather', arguments: { city: 'Paris' } } }],
      },
      done: true,
    },
    ctx,
  );
  const choice = (r.choices as Record<string, unknown>[])[0]!;
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.deepEqual(choice.message, {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'call_abc1_0', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ],
  });
});

test('ollama chat stream → chunks: role first, content deltas, finish chunk, usage chunk when asked', () => {
  const t = createChatStreamTranslator({ ...ctx, includeUsage: true });
  const lines = [
    { message: { role: 'assistant', content: 'He' }, done: false },
    { message: { role: 'assistant', content: '' }, done: false }, // e.g. a thinking-only line: nothing to send
    { message: { role: 'assistant', content: 'llo' }, done: false },
    {
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 4,
      eval_count: 2,
    },
  ];
  const chunks = lines.flatMap((l) => t.translate(l));
  assert.equal(t.done, true);
  const deltas = chunks.map((c) => (c.choices as Record<string, unknown>[])[0]?.delta);
  assert.deepEqual(deltas, [{ role: 'assistant', content: 'He' }, { content: 'llo' }, {}, undefined]);
  assert.equal((chunks[2]!.choices as Record<string, unknown>[])[0]!.finish_reason, 'stop');
  assert.deepEqual(chunks[3], {
    id: 'chatcmpl-abc1',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'llama3',
    choices: [],
    usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
  });
  for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
});

test('ollama chat stream with tool calls → indexed tool_call deltas and finish_reason tool_calls', () => {
  const t = createChatStreamTranslator(ctx);
  const chunks = [
    ...t.translate({
      message: {
        role: 'assistant',
        content: '',
        tool_calls: [{ function: { name: 'a', arguments: { x: 1 } } }],
      },
      done: false,
    }),
    ...t.translate({
      message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'b', arguments: {} } }] },
      done: false,
    }),
    ...t.translate({ message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' }),
  ];
  const choices = chunks.map((c) => (c.choices as Record<string, unknown>[])[0]!);
  assert.deepEqual(choices[0]!.delta, {
    role: 'assistant',
    content: null,
    tool_calls: [
      { index: 0, id: 'call_abc1_0', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
    ],
  });
  assert.deepEqual(choices[1]!.delta, {
    content: null,
    tool_calls: [{ index: 1, id: 'call_abc1_1', type: 'function', function: { name: 'b', arguments: '{}' } }],
  });
  assert.equal(choices[2]!.finish_reason, 'tool_calls');
});

test('ollama generate: request mapping, response and stream → text_completion', () => {
  assert.deepEqual(toOllamaGenerate({ model: 'm', prompt: ['Once'], max_tokens: 3, suffix: '!' }, false), {
    model: 'm',
    prompt: 'Once',
    stream: false,
    suffix: '!',
    options: { num_predict: 3 },
  });
  assert.throws(() => toOllamaGenerate({ model: 'm', prompt: ['a', 'b'] }, false), AirlockError);
  const c = { ...ctx, id: 'cmpl-1' };
  const r = fromOllamaGenerate(
    { response: 'upon', done: true, done_reason: 'stop', prompt_eval_count: 1, eval_count: 1 },
    c,
  );
  assert.deepEqual(r.choices, [{ text: 'upon', index: 0, logprobs: null, finish_reason: 'stop' }]);
  assert.equal(r.object, 'text_completion');
  const t = createCompletionStreamTranslator(c);
  const chunks = [
    ...t.translate({ response: 'up', done: false }),
    ...t.translate({ response: '', done: true, done_reason: 'length' }),
  ];
  assert.deepEqual(
    chunks.map((x) => (x.choices as Record<string, unknown>[])[0]),
    [
      { text: 'up', index: 0, logprobs: null, finish_reason: null },
      { text: '', index: 0, logprobs: null, finish_reason: 'length' },
    ],
  );
});

test('ollama embed: request validation and response → embedding list, float and base64', () => {
  assert.deepEqual(toOllamaEmbed({ model: 'e', input: ['a', 'b'], dimensions: 4 }), {
    model: 'e',
    input: ['a', 'b'],
    dimensions: 4,
  });
  assert.throws(() => toOllamaEmbed({ model: 'e', input: [1, 2, 3] }), AirlockError);
  const r = { embeddings: [[0.5, -0.25]], prompt_eval_count: 3 };
  assert.deepEqual(fromOllamaEmbed(r, 'e', undefined), {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [0.5, -0.25] }],
    model: 'e',
    usage: { prompt_tokens: 3, total_tokens: 3 },
  });
  const b64 = (fromOllamaEmbed(r, 'e', 'base64').data as { embedding: string }[])[0]!.embedding;
  const bytes = Buffer.from(b64, 'base64');
  assert.deepEqual([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)], [0.5, -0.25]);
});
