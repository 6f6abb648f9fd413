// Request bodies of the OpenAI-compatible surface, parsed once at the edge. Known fields are
// checked; unknown fields pass through to upstreams that understand them (looseObject).
import { z } from 'zod';

const content = z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]);

const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: content.optional(),
  name: z.string().max(256).optional(),
  tool_calls: z.array(z.looseObject({})).optional(),
  tool_call_id: z.string().optional(),
});

const sampling = {
  model: z.string().min(1).max(256),
  stream: z.boolean().optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).max(16).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
};

export function chatBodySchema(maxMessages: number) {
  return z.looseObject({
    ...sampling,
    messages: z.array(message).min(1).max(maxMessages),
    tools: z
      .array(z.looseObject({ type: z.string() }))
      .max(128)
      .optional(),
  });
}

export const completionBodySchema = z.looseObject({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).min(1).max(256), z.array(z.number().int()).min(1)]),
});

export const embeddingBodySchema = z.looseObject({
  model: z.string().min(1).max(256),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1).max(2048),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int())).min(1),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
});

/** The first issue as a safe, specific message: a field path and what is wrong, never the value. */
export function describeIssue(error: z.ZodError): { message: string; param: string | null } {
  const issue = error.issues[0];
  if (!issue) return { message: 'Request parameters are invalid.', param: null };
  const param = issue.path.length ? issue.path.map(String).join('.') : null;
  return { message: `Invalid parameter${param ? ` '${param}'` : ''}: ${issue.message}`, param };
}
