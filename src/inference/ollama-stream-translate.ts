// Ollama's NDJSON stream lines → OpenAI chunk objects (chat.completion.chunk / text_completion),
// mirroring OpenAI's shapes: role on the first delta, indexed tool-call deltas, a finish chunk, and a
// usage-only chunk (choices: []) when the client set stream_options.include_usage.
import {
  finishReason,
  isObj,
  type Obj,
  type TranslateContext,
  toolCallsOf,
  usageOf,
} from './ollama-translate.ts';

/** Turns Ollama stream lines into OpenAI chunks; `done` is true once the final line was seen. */
export interface StreamTranslator {
  translate(line: Obj): Obj[];
  readonly done: boolean;
}

export function createChatStreamTranslator(ctx: TranslateContext): StreamTranslator {
  let roleSent = false;
  let toolIndex = 0;
  let done = false;
  const chunk = (delta: Obj, finish: string | null): Obj => ({
    id: ctx.id,
    object: 'chat.completion.chunk',
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  return {
    get done() {
      return done;
    },
    translate(line) {
      const out: Obj[] = [];
      const msg = isObj(line.message) ? line.message : {};
      const content = typeof msg.content === 'string' ? msg.content : '';
      const toolCalls = toolCallsOf(msg, ctx, toolIndex);
      if (content !== '' || toolCalls) {
        const delta: Obj = roleSent ? {} : { role: 'assistant' };
        roleSent = true;
        delta.content = content === '' && toolCalls ? null : content;
        if (toolCalls) {
          delta.tool_calls = toolCalls.map((tc) => ({ index: toolIndex++, ...tc }));
        }
        out.push(chunk(delta, null));
      }
      if (line.done === true) {
        done = true;
        out.push(chunk({}, finishReason(line, toolIndex > 0)));
        if (ctx.includeUsage)
          out.push({
            id: ctx.id,
            object: 'chat.completion.chunk',
            created: ctx.created,
            model: ctx.model,
            choices: [],
            usage: usageOf(line),
          });
      }
      return out;
    },
  };
}

export function createCompletionStreamTranslator(ctx: TranslateContext): StreamTranslator {
  let done = false;
  const chunk = (text: string, finish: string | null): Obj => ({
    id: ctx.id,
    object: 'text_completion',
    created: ctx.created,
    model: ctx.model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
  });
  return {
    get done() {
      return done;
    },
    translate(line) {
      const out: Obj[] = [];
      const text = typeof line.response === 'string' ? line.response : '';
      if (text !== '') out.push(chunk(text, null));
      if (line.done === true) {
        done = true;
        out.push(chunk('', finishReason(line, false)));
        if (ctx.includeUsage)
          out.push({
            id: ctx.id,
            object: 'text_completion',
            created: ctx.created,
            model: ctx.model,
            choices: [],
            usage: usageOf(line),
          });
      }
      return out;
    },
  };
}
