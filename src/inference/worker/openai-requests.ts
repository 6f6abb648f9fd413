// OpenAI request bodies accepted by the worker, validated with schemas compiled once. Unknown fields
// are ignored (clients send many we have no use for); fields we cannot honour are refused rather than
// silently dropped, so a caller never believes it got tools, n>1 or echo when it did not.
import type { ChatHistoryItem } from 'node-llama-cpp';
import { z } from 'zod';
import { AirlockError } from '../../errors.ts';

/** Sampling and stopping, shared by chat and completions. */
export interface GenerationParams {
  readonly maxTokens: number | undefined;
  readonly temperature: number | undefined;
  readonly topP: number | undefined;
  readonly seed: number | undefined;
  readonly stop: readonly string[];
  readonly stream: boolean;
  readonly includeUsage: boolean;
}

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const content = z.union([z.string(), z.array(textPart), z.null()]);
const stop = z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).nullish();
const common = {
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop,
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1).nullish(),
};

const chatSchema = z.object({
  ...common,
  max_completion_tokens: z.number().int().min(1).nullish(),
  messages: z.array(z.object({ role: z.enum(['system', 'developer', 'user', 'assistant']), content })).min(1),
  tools: z.array(z.unknown()).max(0, 'tools are not supported by the embedded worker').nullish(),
  response_format: z.object({ type: z.literal('text') }).nullish(),
});

const completionSchema = z.object({
  ...common,
  prompt: z.union([
    z.string(),
    z.array(z.string()).length(1),
    z.array(z.number().int().min(0)).min(1),
    z.array(z.array(z.number().int().min(0)).min(1)).length(1),
  ]),
  echo: z.literal(false).nullish(),
  suffix: z.null().optional(),
  best_of: z.literal(1).nullish(),
});

const embeddingSchema = z.object({
  input: z.union([z.string(), z.array(z.string()).min(1).max(256)]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue?.path.join('.') ?? '';
  throw new AirlockError('invalid_request', { detail: `${param}: ${issue?.message ?? 'invalid'}` });
}

function generationParams(
  b: z.infer<typeof chatSchema> | z.infer<typeof completionSchema>,
): GenerationParams {
  return {
    maxTokens: b.max_tokens ?? undefined,
    temperature: b.temperature ?? undefined,
    topP: b.top_p ?? undefined,
    seed: b.seed ?? undefined,
    stop: b.stop == null ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop,
    stream: b.stream ?? false,
    includeUsage: b.stream_options?.include_usage ?? false,
  };
}

const textOf = (c: z.infer<typeof content>): string =>
  c == null ? '' : typeof c === 'string' ? c : c.map((p) => p.text).join('');

export interface ChatRequest {
  readonly history: ChatHistoryItem[];
  readonly params: GenerationParams;
}

export function parseChatRequest(body: unknown): ChatRequest {
  const b = parse(chatSchema, body);
  const history: ChatHistoryItem[] = b.messages.map((m): ChatHistoryItem => {
    if (m.role === 'assistant') return { type: 'model', response: [textOf(m.content)] };
    if (m.role === 'user') return { type: 'user', text: textOf(m.content) };
    return { type: 'system', text: textOf(m.content) };
  });
  const params = generationParams(b);
  return { history, params: { ...params, maxTokens: b.max_completion_tokens ?? params.maxTokens } };
}

export interface CompletionRequest {
  readonly prompt: string | number[];
  readonly params: GenerationParams;
}

/** OpenAI's legacy completions default to 16 tokens when max_tokens is absent. */
const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

export function parseCompletionRequest(body: unknown): CompletionRequest {
  const b = parse(completionSchema, body);
  const p = b.prompt;
  const prompt =
    typeof p === 'string'
      ? p
      : typeof p[0] === 'string'
        ? p[0]
        : Array.isArray(p[0])
          ? p[0]
          : (p as number[]);
  const params = generationParams(b);
  return { prompt, params: { ...params, maxTokens: params.maxTokens ?? COMPLETIONS_DEFAULT_MAX_TOKENS } };
}

export interface EmbeddingRequest {
  readonly inputs: readonly string[];
  readonly encoding: 'float' | 'base64';
}

export function parseEmbeddingRequest(body: unknown): EmbeddingRequest {
  const b = parse(embeddingSchema, body);
  return {
    inputs: typeof b.input === 'string' ? [b.input] : b.input,
    encoding: b.encoding_format ?? 'float',
  };
}
