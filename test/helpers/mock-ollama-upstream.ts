// A fast, deterministic upstream speaking Ollama's native API on 127.0.0.1.
//
//   const up = await startMockOllamaUpstream({ chunkCount: 3 });
//   // config: { kind: 'ollama', baseUrl: up.url }
//   up.setBehaviour({ failNext: 1, failStatus: 404, failMessage: 'model "x" not found' });
//
// Routes: POST /api/chat and /api/generate (NDJSON stream unless "stream": false, as Ollama does),
// POST /api/embed, GET /api/tags. Answers are `word` × chunkCount; options.num_predict below
// chunkCount cuts the answer short with done_reason "length"; a chat request with `tools` gets one
// call to the first tool. The same knobs as the OpenAI mock apply (mock-upstream-server.ts).
import { mockEmbedding } from './mock-openai-upstream.ts';
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

export type MockOllamaBehaviour = CommonBehaviour;
export type MockOllamaUpstream = MockServerBase<MockOllamaBehaviour>;

const CREATED_AT = '2024-01-01T00:00:00Z';

interface Prepared {
  readonly json: string;
  readonly content: string[];
  readonly tail: string[];
}

export async function startMockOllamaUpstream(
  opts: Partial<MockOllamaBehaviour> & { record?: boolean } = {},
): Promise<MockOllamaUpstream> {
  const { record, ...knobs } = opts;
  const cache = new Map<string, Prepared>();
  return startMockServer<MockOllamaBehaviour>({ ...defaultBehaviour, ...knobs }, route, {
    record,
    onBehaviourChange: () => cache.clear(),
  });

  function route(ex: Exchange<MockOllamaBehaviour>): void {
    const { req, path, behaviour: b } = ex;
    if (req.method === 'GET' && path === '/api/tags') {
      const models = b.models.map((name) => ({
        name,
        model: name,
        modified_at: CREATED_AT,
        size: 1,
        digest: 'sha256:0',
      }));
      sendJson(ex.res, 200, JSON.stringify({ models }));
      return;
    }
    if (
      req.method !== 'POST' ||
      (path !== '/api/chat' && path !== '/api/generate' && path !== '/api/embed')
    ) {
      sendJson(ex.res, 404, JSON.stringify({ error: `unknown route ${req.method} ${path}` }));
      return;
    }
    const body = (ex.body ?? {}) as Record<string, unknown>;
    after(b.latencyMs, () => {
      if (ex.closed()) return;
      if (takeFailure(b)) {
        sendJson(ex.res, b.failStatus, JSON.stringify({ error: b.failMessage }));
      } else if (path === '/api/embed') {
        const inputs = Array.isArray(body.input) ? body.input : [body.input];
        const dims = typeof body.dimensions === 'number' ? body.dimensions : b.embeddingDimensions;
        const embeddings = inputs.map((x) => mockEmbedding(String(x), dims));
        sendJson(
          ex.res,
          200,
          JSON.stringify({
            model: body.model,
            embeddings,
            prompt_eval_count: b.promptTokens * inputs.length,
          }),
        );
      } else {
        const prepared = prepare(path === '/api/chat' ? 'chat' : 'generate', body, b);
        // Ollama streams unless told otherwise.
        if (body.stream === false) sendJson(ex.res, 200, prepared.json);
        else writeStream(ex, 'application/x-ndjson', [], prepared.content, prepared.tail);
      }
    });
  }

  function prepare(
    kind: 'chat' | 'generate',
    body: Record<string, unknown>,
    b: MockOllamaBehaviour,
  ): Prepared {
    const model = typeof body.model === 'string' ? body.model : 'mock-model';
    const numPredict = (body.options as { num_predict?: unknown } | undefined)?.num_predict;
    const n =
      typeof numPredict === 'number' && numPredict < b.chunkCount ? Math.max(0, numPredict) : b.chunkCount;
    const tools = Array.isArray(body.tools) ? (body.tools as { function?: { name?: unknown } }[]) : undefined;
    const tool = kind === 'chat' && tools ? String(tools[0]?.function?.name ?? 'tool') : undefined;
    const key = `${kind}\0${model}\0${n}\0${tool ?? ''}`;
    let hit = cache.get(key);
    if (!hit) {
      if (cache.size > 256) cache.clear();
      hit = build(kind, model, n, tool, b);
      cache.set(key, hit);
    }
    return hit;
  }
}

function build(
  kind: 'chat' | 'generate',
  model: string,
  n: number,
  tool: string | undefined,
  b: MockOllamaBehaviour,
): Prepared {
  const line = (o: unknown) => `${JSON.stringify(o)}\n`;
  const base = { model, created_at: CREATED_AT };
  const doneReason = n < b.chunkCount ? 'length' : 'stop';
  const evalCount = tool ? 1 : n;
  const stats = {
    done: true,
    done_reason: doneReason,
    total_duration: 1,
    load_duration: 1,
    prompt_eval_count: b.promptTokens,
    prompt_eval_duration: 1,
    eval_count: evalCount,
    eval_duration: 1,
  };
  const content: string[] = [];
  let full: Record<string, unknown>;
  if (kind === 'chat') {
    const toolCalls = tool
      ? [{ function: { name: tool, arguments: JSON.parse(b.toolArguments) } }]
      : undefined;
    if (toolCalls)
      content.push(
        line({ ...base, message: { role: 'assistant', content: '', tool_calls: toolCalls }, done: false }),
      );
    else
      for (let i = 0; i < n; i++)
        content.push(line({ ...base, message: { role: 'assistant', content: b.word }, done: false }));
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: toolCalls ? '' : b.word.repeat(n),
    };
    if (toolCalls) message.tool_calls = toolCalls;
    full = { ...base, message, ...stats };
    return {
      json: JSON.stringify(full),
      content,
      tail: [line({ ...base, message: { role: 'assistant', content: '' }, ...stats })],
    };
  }
  for (let i = 0; i < n; i++) content.push(line({ ...base, response: b.word, done: false }));
  full = { ...base, response: b.word.repeat(n), ...stats };
  return { json: JSON.stringify(full), content, tail: [line({ ...base, response: '', ...stats })] };
}
