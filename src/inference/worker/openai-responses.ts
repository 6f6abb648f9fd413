// OpenAI-format response objects built by the worker: JSON bodies, stream chunks, usage and the
// error envelope. Pure functions, so the wire format is tested without a model.
import { randomBytes } from 'node:crypto';
import { type AirlockError, errorCatalogue } from '../../errors.ts';
import type { GenerationResult } from './engine.ts';

export type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

export function usageOf(r: Pick<GenerationResult, 'promptTokens' | 'completionTokens'>): Usage {
  return {
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.promptTokens + r.completionTokens,
  };
}

export function newId(prefix: 'chatcmpl' | 'cmpl'): string {
  return `${prefix}-${randomBytes(12).toString('base64url')}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface ResponseMeta {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

export function chatCompletion(meta: ResponseMeta, r: GenerationResult) {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: r.text, refusal: null },
        logprobs: null,
        finish_reason: r.finishReason,
      },
    ],
    usage: usageOf(r),
  };
}

/** One chat.completion.chunk. `usage` is present (null until the last chunk) only when the client
 *  asked for stream_options.include_usage, as OpenAI does. */
export function chatChunk(
  meta: ResponseMeta,
  delta: { role?: 'assistant'; content?: string },
  finishReason: 'stop' | 'length' | null,
  includeUsage: boolean,
) {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  };
}

export function chatUsageChunk(meta: ResponseMeta, usage: Usage) {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [],
    usage,
  };
}

export function textCompletion(meta: ResponseMeta, r: GenerationResult) {
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text: r.text, logprobs: null, finish_reason: r.finishReason }],
    usage: usageOf(r),
  };
}

export function textCompletionChunk(
  meta: ResponseMeta,
  text: string,
  finishReason: 'stop' | 'length' | null,
  usage?: Usage,
) {
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: usage ? [] : [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
    ...(usage ? { usage } : {}),
  };
}

export function embeddingList(
  model: string,
  vectors: ReadonlyArray<readonly number[]>,
  encoding: 'float' | 'base64',
  promptTokens: number,
) {
  return {
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding',
      index,
      // base64 is little-endian float32, which is what the openai clients request by default.
      embedding: encoding === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
    })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

export function modelList(alias: string, created: number) {
  return { object: 'list', data: [{ id: alias, object: 'model', created, owned_by: 'airlock' }] };
}

/** The /v1 error envelope. Only the catalogue's public message leaves the process. */
export function errorBody(err: AirlockError) {
  const spec = errorCatalogue[err.code];
  const message = spec.expose ? spec.message : errorCatalogue.internal_error.message;
  return {
    error: { message, type: spec.type, param: null, code: spec.expose ? err.code : 'internal_error' },
  };
}
