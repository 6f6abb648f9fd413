// The inference engine of one worker: loads a GGUF with node-llama-cpp once, resolves its chat
// template once, and runs generations on a small pool of context sequences so concurrent requests
// queue instead of corrupting each other's KV cache.
import type {
  ChatWrapper,
  Llama,
  LlamaContext,
  LlamaEmbeddingContext,
  LlamaModel,
  Token,
} from 'node-llama-cpp';
import { getLlama, LlamaChat, LlamaCompletion, LlamaLogLevel, resolveChatWrapper } from 'node-llama-cpp';
import { AirlockError } from '../../errors.ts';
import type { WorkerLogger } from './log.ts';
import type { ChatRequest, CompletionRequest, GenerationParams } from './openai-requests.ts';
import { createSlotPool, type SlotPool } from './slot-pool.ts';

export interface EngineOptions {
  readonly modelPath: string;
  readonly threads: number;
  readonly contextSize: number;
  readonly parallel: number;
}

export interface GenerationResult {
  readonly text: string;
  readonly finishReason: 'stop' | 'length';
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** The client went away; `text` is what was generated until then. */
  readonly aborted: boolean;
}

export interface EmbeddingResult {
  readonly vectors: ReadonlyArray<readonly number[]>;
  readonly promptTokens: number;
}

export interface Engine {
  readonly chatWrapperName: string;
  readonly contextSize: number;
  chat(req: ChatRequest, signal: AbortSignal, onText?: (text: string) => void): Promise<GenerationResult>;
  complete(
    req: CompletionRequest,
    signal: AbortSignal,
    onText?: (text: string) => void,
  ): Promise<GenerationResult>;
  embed(inputs: readonly string[], signal: AbortSignal): Promise<EmbeddingResult>;
  stats(): { size: number; busy: number; queued: number };
  close(): Promise<void>;
}

interface Slot {
  readonly chat: LlamaChat;
  readonly completion: LlamaCompletion;
  readonly meter: () => number;
}

/** Requests waiting for a slot beyond this are refused with 503 rather than queued without bound. */
const MAX_QUEUED = 64;

/** Sampling defaults of llama.cpp's own server: what GGUF models are tuned and evaluated with. */
function sampling(p: GenerationParams, maxTokens: number) {
  return {
    maxTokens,
    temperature: p.temperature ?? 0.8,
    topP: p.topP ?? 0.95,
    topK: 40,
    minP: 0.05,
    seed: p.seed,
    repeatPenalty: false as const,
    customStopTriggers: p.stop,
  };
}

type StopReason =
  | 'eogToken'
  | 'stopGenerationTrigger'
  | 'customStopTrigger'
  | 'functionCalls'
  | 'maxTokens'
  | 'abort';

function finishReason(stop: StopReason): 'stop' | 'length' {
  return stop === 'maxTokens' ? 'length' : 'stop';
}

export async function loadEngine(opts: EngineOptions, log: WorkerLogger): Promise<Engine> {
  const llama: Llama = await getLlama({
    gpu: false,
    build: 'never',
    usePrebuiltBinaries: true,
    skipDownload: true,
    progressLogs: false,
    maxThreads: opts.threads,
    logLevel: LlamaLogLevel.warn,
    // llama.cpp's own messages describe the model and system, never request content.
    logger: (llamaLevel, message) => log.warn({ event: 'llama_log', llamaLevel, message: message.trim() }),
  });
  const model: LlamaModel = await llama.loadModel({ modelPath: opts.modelPath, gpuLayers: 0 });
  // Beyond the length the model was trained on, attention degrades into noise; cap rather than obey.
  const trained = model.trainContextSize;
  const requested = trained > 0 ? Math.min(opts.contextSize, trained) : opts.contextSize;
  const context: LlamaContext = await model.createContext({
    contextSize: requested,
    sequences: opts.parallel,
    threads: opts.threads,
  });
  // Resolved once: node-llama-cpp matches the GGUF's Jinja template against its specialised wrappers
  // and falls back to rendering the template itself, so every request reuses one wrapper.
  const chatWrapper: ChatWrapper = resolveChatWrapper(model);
  const slots: Slot[] = [];
  for (let i = 0; i < opts.parallel; i++) {
    const sequence = context.getSequence();
    slots.push({
      chat: new LlamaChat({ contextSequence: sequence, chatWrapper }),
      completion: new LlamaCompletion({ contextSequence: sequence }),
      meter: () => sequence.tokenMeter.usedOutputTokens,
    });
  }
  const pool: SlotPool<Slot> = createSlotPool(slots, MAX_QUEUED);
  const contextSize = context.contextSize;
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  let embeddingContext: Promise<LlamaEmbeddingContext> | undefined;
  let embedQueue: Promise<unknown> = Promise.resolve();

  /** Refuses prompts that do not fit instead of letting the library silently drop the start. */
  function budget(promptTokens: number, p: GenerationParams): number {
    const room = contextSize - promptTokens;
    if (room < 1)
      throw new AirlockError('invalid_request', {
        detail: `prompt is ${promptTokens} tokens; context is ${contextSize}`,
      });
    return Math.min(p.maxTokens ?? room, room);
  }

  async function withSlot<T>(signal: AbortSignal, run: (slot: Slot) => Promise<T>): Promise<T> {
    const slot = await pool.acquire(signal);
    try {
      return await run(slot);
    } finally {
      pool.release(slot);
    }
  }

  return {
    chatWrapperName: chatWrapper.wrapperName,
    contextSize,
    chat(req, signal, onText) {
      const history =
        req.history.at(-1)?.type === 'model'
          ? req.history
          : [...req.history, { type: 'model' as const, response: [] }];
      const promptTokens = chatWrapper
        .generateContextState({ chatHistory: history })
        .contextText.tokenize(model.tokenizer).length;
      const maxTokens = budget(promptTokens, req.params);
      return withSlot(signal, async (slot) => {
        const before = slot.meter();
        const res = await slot.chat.generateResponse(req.history, {
          ...sampling(req.params, maxTokens),
          signal,
          stopOnAbortSignal: true,
          onTextChunk: onText,
        });
        const stop = res.metadata.stopReason;
        return {
          text: res.response,
          finishReason: finishReason(stop),
          promptTokens,
          completionTokens: slot.meter() - before,
          aborted: stop === 'abort',
        };
      });
    },
    complete(req, signal, onText) {
      const tokens: Token[] =
        typeof req.prompt === 'string'
          ? model.tokenize(req.prompt, false, bos === null ? undefined : 'trimLeadingSpace')
          : (req.prompt as Token[]);
      const promptTokens = tokens.length + (bos === null ? 0 : 1);
      const maxTokens = budget(promptTokens, req.params);
      return withSlot(signal, async (slot) => {
        const before = slot.meter();
        const res = await slot.completion.generateCompletionWithMeta(tokens, {
          ...sampling(req.params, maxTokens),
          signal,
          stopOnAbortSignal: true,
          disableContextShift: true,
          onTextChunk: onText,
        });
        const stop = res.metadata.stopReason;
        return {
          text: res.response,
          finishReason: finishReason(stop),
          promptTokens,
          completionTokens: slot.meter() - before,
          aborted: stop === 'abort',
        };
      });
    },
    async embed(inputs, signal) {
      // Created on first use: most chat models are never asked for embeddings, and a second context
      // would double the memory of every worker for nothing.
      embeddingContext ??= model.createEmbeddingContext({
        contextSize: Math.min(contextSize, 2048),
        threads: opts.threads,
      });
      let ctx: LlamaEmbeddingContext;
      try {
        ctx = await embeddingContext;
      } catch (err) {
        throw new AirlockError('endpoint_not_supported', {
          detail: 'model cannot produce embeddings',
          cause: err,
        });
      }
      const run = async (): Promise<EmbeddingResult> => {
        const vectors: (readonly number[])[] = [];
        let promptTokens = 0;
        for (const input of inputs) {
          signal.throwIfAborted();
          const length = ctx.calculateInputLength(input);
          if (length > contextSize)
            throw new AirlockError('invalid_request', {
              detail: `input is ${length} tokens; context is ${contextSize}`,
            });
          promptTokens += length;
          vectors.push((await ctx.getEmbeddingFor(input)).vector);
        }
        return { vectors, promptTokens };
      };
      // One embedding sequence: serialise callers.
      const result = embedQueue.then(run, run);
      embedQueue = result.catch(() => undefined);
      return result;
    },
    stats: () => pool.stats(),
    async close() {
      for (const slot of slots) {
        slot.chat.dispose({ disposeSequence: true });
        slot.completion.dispose({ disposeSequence: false });
      }
      if (embeddingContext) await (await embeddingContext.catch(() => undefined))?.dispose();
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
