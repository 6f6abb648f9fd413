// Pure translation between OpenAI's wire format (what airlock speaks) and Ollama's native API
// (/api/chat, /api/generate, /api/embed). No I/O here, so both directions are unit-tested alone.
// Ollama's `thinking` text is dropped: fields a client did not ask for would bypass output inspection.
import { AirlockError } from '../errors.ts';

export type Obj = Record<string, unknown>;

/** Per-request values stamped on every translated object. */
export interface TranslateContext {
  /** chatcmpl-… or cmpl-… */
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  /** Model name the response reports (the upstream model). */
  readonly model: string;
  /** Client asked for stream_options.include_usage: add the final usage-only chunk. */
  readonly includeUsage: boolean;
}

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** OpenAI sampling parameters → Ollama `options`. */
export function toOllamaOptions(body: Obj): Obj | undefined {
  const o: Obj = {};
  if (typeof body.temperature === 'number') o.temperature = body.temperature;
  if (typeof body.top_p === 'number') o.top_p = body.top_p;
  if (typeof body.top_k === 'number') o.top_k = body.top_k;
  if (typeof body.seed === 'number') o.seed = body.seed;
  if (typeof body.frequency_penalty === 'number') o.frequency_penalty = body.frequency_penalty;
  if (typeof body.presence_penalty === 'number') o.presence_penalty = body.presence_penalty;
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (typeof max === 'number') o.num_predict = max;
  if (typeof body.stop === 'string') o.stop = [body.stop];
  else if (Array.isArray(body.stop)) o.stop = body.stop;
  return Object.keys(o).length > 0 ? o : undefined;
}

function format(body: Obj): unknown {
  const rf = body.response_format;
  if (!isObj(rf)) return undefined;
  if (rf.type === 'json_object') return 'json';
  if (rf.type === 'json_schema' && isObj(rf.json_schema)) return rf.json_schema.schema;
  return undefined;
}

function parseArguments(args: unknown): Obj {
  if (isObj(args)) return args;
  if (typeof args !== 'string') return {};
  try {
    const v: unknown = JSON.parse(args);
    return isObj(v) ? v : {};
  } catch {
    return {};
  }
}

function toOllamaMessage(m: unknown, toolNames: Map<string, string>): Obj {
  const msg = isObj(m) ? m : {};
  const out: Obj = { role: msg.role === 'developer' ? 'system' : msg.role };
  const content = msg.content;
  if (typeof content === 'string') out.content = content;
  else if (Array.isArray(content)) {
    // Content parts: text is concatenated, data-URL images become Ollama's base64 `images`.
    let text = '';
    const images: string[] = [];
    for (const part of content) {
      if (!isObj(part)) continue;
      if (part.type === 'text' && typeof part.text === 'string') text += part.text;
      else if (part.type === 'image_url') {
        const url = isObj(part.image_url) ? part.image_url.url : part.image_url;
        if (typeof url === 'string' && url.startsWith('data:')) images.push(url.slice(url.indexOf(',') + 1));
      }
    }
    out.content = text;
    if (images.length > 0) out.images = images;
  } else out.content = '';
  if (Array.isArray(msg.tool_calls)) {
    out.tool_calls = msg.tool_calls.map((tc: unknown) => {
      const fn = isObj(tc) && isObj(tc.function) ? tc.function : {};
      if (isObj(tc) && typeof tc.id === 'string' && typeof fn.name === 'string')
        toolNames.set(tc.id, fn.name);
      return { function: { name: fn.name, arguments: parseArguments(fn.arguments) } };
    });
  }
  if (msg.role === 'tool' && typeof msg.tool_call_id === 'string') {
    const name = toolNames.get(msg.tool_call_id);
    if (name !== undefined) out.tool_name = name;
  }
  return out;
}

/** OpenAI chat.completions request → Ollama /api/chat request. */
export function toOllamaChat(body: Obj, stream: boolean): Obj {
  const toolNames = new Map<string, string>();
  const messages = Array.isArray(body.messages)
    ? body.messages.map((m) => toOllamaMessage(m, toolNames))
    : [];
  const out: Obj = { model: body.model, messages, stream };
  if (Array.isArray(body.tools)) out.tools = body.tools; // same {type:'function', function:{…}} shape
  const options = toOllamaOptions(body);
  if (options) out.options = options;
  const fmt = format(body);
  if (fmt !== undefined) out.format = fmt;
  if (body.keep_alive !== undefined) out.keep_alive = body.keep_alive;
  return out;
}

/** OpenAI completions request → Ollama /api/generate request (templated, like Ollama's own /v1). */
export function toOllamaGenerate(body: Obj, stream: boolean): Obj {
  let prompt = body.prompt;
  if (Array.isArray(prompt)) {
    if (prompt.length !== 1 || typeof prompt[0] !== 'string')
      throw new AirlockError('invalid_request', { detail: 'ollama: prompt must be one string' });
    prompt = prompt[0];
  }
  const out: Obj = { model: body.model, prompt: typeof prompt === 'string' ? prompt : '', stream };
  if (typeof body.suffix === 'string') out.suffix = body.suffix;
  const options = toOllamaOptions(body);
  if (options) out.options = options;
  const fmt = format(body);
  if (fmt !== undefined) out.format = fmt;
  return out;
}

/** OpenAI embeddings request → Ollama /api/embed request. */
export function toOllamaEmbed(body: Obj): Obj {
  const input = body.input;
  const ok = typeof input === 'string' || (Array.isArray(input) && input.every((x) => typeof x === 'string'));
  if (!ok) throw new AirlockError('invalid_request', { detail: 'ollama: embeddings input must be text' });
  const out: Obj = { model: body.model, input };
  if (typeof body.dimensions === 'number') out.dimensions = body.dimensions;
  return out;
}

export function usageOf(r: Obj): Obj {
  const p = typeof r.prompt_eval_count === 'number' ? r.prompt_eval_count : 0;
  const c = typeof r.eval_count === 'number' ? r.eval_count : 0;
  return { prompt_tokens: p, completion_tokens: c, total_tokens: p + c };
}

export function finishReason(r: Obj, sawToolCalls: boolean): string {
  if (sawToolCalls) return 'tool_calls';
  return r.done_reason === 'length' ? 'length' : 'stop';
}

export function toolCallsOf(msg: Obj, ctx: TranslateContext, first: number): Obj[] | undefined {
  if (!Array.isArray(msg.tool_calls) || msg.tool_calls.length === 0) return undefined;
  return msg.tool_calls.map((tc: unknown, i: number) => {
    const fn = isObj(tc) && isObj(tc.function) ? tc.function : {};
    const id =
      isObj(tc) && typeof tc.id === 'string'
        ? tc.id
        : `call_${ctx.id.slice(ctx.id.indexOf('-') + 1)}_${first + i}`;
    return {
      id,
      type: 'function',
      function: { name: fn.name, arguments: JSON.stringify(fn.arguments ?? {}) },
    };
  });
}

/** Ollama /api/chat response (stream: false) → OpenAI chat.completion. */
export function fromOllamaChat(r: Obj, ctx: TranslateContext): Obj {
  const msg = isObj(r.message) ? r.message : {};
  const toolCalls = toolCallsOf(msg, ctx, 0);
  const content = typeof msg.content === 'string' ? msg.content : '';
  const message: Obj = { role: 'assistant', content: toolCalls && content === '' ? null : content };
  if (toolCalls) message.tool_calls = toolCalls;
  return {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(r, toolCalls !== undefined) }],
    usage: usageOf(r),
  };
}

/** Ollama /api/generate response (stream: false) → OpenAI text_completion. */
export function fromOllamaGenerate(r: Obj, ctx: TranslateContext): Obj {
  return {
    id: ctx.id,
    object: 'text_completion',
    created: ctx.created,
    model: ctx.model,
    choices: [
      {
        text: typeof r.response === 'string' ? r.response : '',
        index: 0,
        logprobs: null,
        finish_reason: finishReason(r, false),
      },
    ],
    usage: usageOf(r),
  };
}

/** Ollama /api/embed response → OpenAI embedding list (base64 when the client asked for it). */
export function fromOllamaEmbed(r: Obj, model: string, encodingFormat: unknown): Obj {
  const vectors = Array.isArray(r.embeddings) ? (r.embeddings as number[][]) : [];
  const base64 = encodingFormat === 'base64';
  const tokens = typeof r.prompt_eval_count === 'number' ? r.prompt_eval_count : 0;
  return {
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
    })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
