// A fast, deterministic OpenAI-compatible upstream on 127.0.0.1 for tests and benchmarks.
//
//   const up = await startMockOpenAiUpstream({ chunkCount: 5 });
//   // baseUrl for config: up.url (or `${up.url}/v1`)
//   up.setBehaviour({ failNext: 2 });            // next two requests → 500 with an OpenAI error
//   up.setBehaviour({ failNext: 1, failStatus: 400, failMessage: 'bad temperature' });
//   up.setBehaviour({ dieMidStream: 3 });        // socket destroyed after 3 content chunks
//   up.setBehaviour({ stallAfterChunks: 2 });    // stream goes silent (idle timeout)
//   up.requests[0].headers.authorization;        // what the gateway sent
//   await up.waitForAborted(1);                  // the gateway closed a request early
//   await up.close();
//
// Routes: POST /v1/chat/completions, /v1/completions, /v1/embeddings; GET /v1/models. Every
// answer is `word` × chunkCount ("tok tok …"), finish_reason "stop"; a chat request with `tools`
// gets one call to the first tool with `toolArguments` and finish_reason "tool_calls". Streams
// include a usage chunk when stream_options.include_usage is set. Bodies are precomputed per
// (route, model, options) so the mock costs little per request.
import {
  after,
  type CommonBehaviour,
  defaultBehaviour,
  type Exchange,
  type MockServerBase,
  sendJson,
  startMockServer,
  takeFailure,
  writeStream,
} from './mock-upstream-server.ts';

export type MockOpenAiBehaviour = CommonBehaviour;
export type MockOpenAiUpstream = MockServerBase<MockOpenAiBehaviour>;
export type { RecordedRequest } from './mock-upstream-server.ts';

const CREATED = 1_700_000_000;

interface Prepared {
  readonly json: string;
  readonly content: string[];
  readonly tail: string[];
}

export async function startMockOpenAiUpstream(
  opts: Partial<MockOpenAiBehaviour> & { record?: boolean } = {},
): Promise<MockOpenAiUpstream> {
  const { record, ...knobs } = opts;
  const cache = new Map<string, Prepared>();
  const server = await startMockServer<MockOpenAiBehaviour>({ ...defaultBehaviour, ...knobs }, route, {
    record,
    onBehaviourChange: () => cache.clear(),
  });
  return server;

  function route(ex: Exchange<MockOpenAiBehaviour>): void {
    const { req, path, behaviour: b } = ex;
    const p = path.startsWith('/v1/') ? path.slice(3) : path;
    if (req.method === 'GET' && p === '/models') {
      modelsRoute(ex);
      return;
    }
    if (req.method !== 'POST' || (p !== '/chat/completions' && p !== '/completions' && p !== '/embeddings')) {
      sendJson(ex.res, 404, errorBody(`Unknown route ${req.method} ${p}`, 'invalid_request_error'));
      return;
    }
    const body = (ex.body ?? {}) as Record<string, unknown>;
    after(b.latencyMs, () => {
      if (ex.closed()) return;
      if (takeFailure(b)) {
        const type = b.failStatus >= 500 ? 'server_error' : 'invalid_request_error';
        sendJson(ex.res, b.failStatus, errorBody(b.failMessage, type));
      } else if (p === '/embeddings') {
        sendJson(ex.res, 200, embeddings(body, b));
      } else {
        const prepared = prepare(p === '/chat/completions' ? 'chat' : 'text', body, b);
        if (body.stream === true) writeStream(ex, 'text/event-stream', [], prepared.content, prepared.tail);
        else sendJson(ex.res, 200, prepared.json);
      }
    });
  }

  function prepare(kind: 'chat' | 'text', body: Record<string, unknown>, b: MockOpenAiBehaviour): Prepared {
    const model = typeof body.model === 'string' ? body.model : 'mock-model';
    const usage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const tools = Array.isArray(body.tools) ? (body.tools as { function?: { name?: unknown } }[]) : undefined;
    const tool = kind === 'chat' && tools ? String(tools[0]?.function?.name ?? 'tool') : undefined;
    const key = `${kind}\0${model}\0${usage}\0${tool ?? ''}`;
    let hit = cache.get(key);
    if (!hit) {
      if (cache.size > 256) cache.clear();
      hit = build(kind, model, usage, tool, b);
      cache.set(key, hit);
    }
    return hit;
  }
}

function build(
  kind: 'chat' | 'text',
  model: string,
  withUsage: boolean,
  tool: string | undefined,
  b: MockOpenAiBehaviour,
): Prepared {
  const id = kind === 'chat' ? 'chatcmpl-mock' : 'cmpl-mock';
  const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const n = tool ? 2 : b.chunkCount;
  const usage = { prompt_tokens: b.promptTokens, completion_tokens: n, total_tokens: b.promptTokens + n };
  const sse = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  const chunk = (choice: Record<string, unknown>) =>
    sse({ id, object, created: CREATED, model, choices: [choice] });
  const content: string[] = [];
  let finish = 'stop';
  let message: Record<string, unknown> = { role: 'assistant', content: b.word.repeat(b.chunkCount) };
  if (tool) {
    // Tool call arguments arrive in fragments, as OpenAI streams them.
    const args = b.toolArguments;
    const half = Math.ceil(args.length / 2);
    const call = { index: 0, id: 'call_mock', type: 'function', function: { name: tool, arguments: '' } };
    content.push(
      chunk({
        index: 0,
        delta: {
          role: 'assistant',
          content: null,
          tool_calls: [{ ...call, function: { name: tool, arguments: args.slice(0, half) } }],
        },
        logprobs: null,
        finish_reason: null,
      }),
      chunk({
        index: 0,
        delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] },
        logprobs: null,
        finish_reason: null,
      }),
    );
    finish = 'tool_calls';
    message = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_mock', type: 'function', function: { name: tool, arguments: args } }],
    };
  } else {
    for (let i = 0; i < b.chunkCount; i++) {
      content.push(
        kind === 'chat'
          ? chunk({
              index: 0,
              delta: i === 0 ? { role: 'assistant', content: b.word } : { content: b.word },
              logprobs: null,
              finish_reason: null,
            })
          : chunk({ text: b.word, index: 0, logprobs: null, finish_reason: null }),
      );
    }
  }
  const tail = [
    kind === 'chat'
      ? chunk({ index: 0, delta: {}, logprobs: null, finish_reason: finish })
      : chunk({ text: '', index: 0, logprobs: null, finish_reason: finish }),
  ];
  if (withUsage) tail.push(sse({ id, object, created: CREATED, model, choices: [], usage }));
  tail.push('data: [DONE]\n\n');
  const choice =
    kind === 'chat'
      ? { index: 0, message, logprobs: null, finish_reason: finish }
      : { text: b.word.repeat(b.chunkCount), index: 0, logprobs: null, finish_reason: finish };
  const json = JSON.stringify({
    id,
    object: kind === 'chat' ? 'chat.completion' : 'text_completion',
    created: CREATED,
    model,
    choices: [choice],
    usage,
  });
  return { json, content, tail };
}

function errorBody(message: string, type: string): string {
  return JSON.stringify({ error: { message, type, param: null, code: null } });
}

function modelsRoute(ex: Exchange<MockOpenAiBehaviour>): void {
  const data = ex.behaviour.models.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'mock' }));
  sendJson(ex.res, 200, JSON.stringify({ object: 'list', data }));
}

/** Deterministic vector for a text: same text, same vector, values in [-1, 1). */
export function mockEmbedding(text: string, dimensions: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  const v: number[] = [];
  for (let k = 0; k < dimensions; k++)
    v.push(((((h + Math.imul(k, 2654435761)) >>> 0) % 2000) - 1000) / 1000);
  return v;
}

function embeddings(body: Record<string, unknown>, b: MockOpenAiBehaviour): string {
  const input = body.input;
  const inputs = Array.isArray(input) && input.every((x) => typeof x === 'string') ? input : [input];
  const base64 = body.encoding_format === 'base64';
  const dims = typeof body.dimensions === 'number' ? body.dimensions : b.embeddingDimensions;
  const data = inputs.map((x, index) => {
    const v = mockEmbedding(typeof x === 'string' ? x : JSON.stringify(x), dims);
    return {
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
    };
  });
  const tokens = b.promptTokens * inputs.length;
  return JSON.stringify({
    object: 'list',
    data,
    model: typeof body.model === 'string' ? body.model : 'mock-model',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
