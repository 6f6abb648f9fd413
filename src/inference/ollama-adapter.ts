// Adapter for Ollama's native API. Requests and responses are translated (ollama-translate.ts) so the
// rest of airlock only ever sees OpenAI-format objects; streams arrive as NDJSON.
import { randomBytes } from 'node:crypto';
import type { UpstreamConfig } from '../config/schema.ts';
import {
  createHttpTransport,
  readJsonObject,
  type TransportDeps,
  type UpstreamResponse,
} from './http-transport.ts';
import { createNdjsonSplitter } from './ndjson.ts';
import {
  createChatStreamTranslator,
  createCompletionStreamTranslator,
  type StreamTranslator,
} from './ollama-stream-translate.ts';
import {
  fromOllamaChat,
  fromOllamaEmbed,
  fromOllamaGenerate,
  type TranslateContext,
  toOllamaChat,
  toOllamaEmbed,
  toOllamaGenerate,
} from './ollama-translate.ts';
import type { UpstreamAdapter, UpstreamResult } from './types.ts';
import { UpstreamError } from './upstream-error.ts';

export type OllamaAdapterDeps = TransportDeps;

type Obj = Record<string, unknown>;

export function createOllamaAdapter(config: UpstreamConfig, deps: OllamaAdapterDeps): UpstreamAdapter {
  const transport = createHttpTransport(config, deps);
  const name = config.name;
  const paths = {
    chat: '/api/chat',
    completions: '/api/generate',
    embeddings: '/api/embed',
  };
  const healthPath = config.health.path ?? '/api/tags';
  // Ids only need to be unique per gateway: a random per-adapter prefix and a counter, no per-request RNG.
  const idPrefix = randomBytes(4).toString('hex');
  let seq = 0;

  return {
    name,
    kind: config.kind,
    async call(call): Promise<UpstreamResult> {
      const body = call.body;
      const model = typeof body.model === 'string' ? body.model : '';
      if (call.endpoint === 'embeddings') {
        const res = await transport.post(
          'root',
          paths.embeddings,
          JSON.stringify(toOllamaEmbed(body)),
          call,
          'application/json',
        );
        return {
          kind: 'json',
          status: res.status,
          body: fromOllamaEmbed(await readJsonObject(res, name), model, body.encoding_format),
        };
      }
      const chat = call.endpoint === 'chat';
      const request = chat ? toOllamaChat(body, call.stream) : toOllamaGenerate(body, call.stream);
      const ctx: TranslateContext = {
        id: `${chat ? 'chatcmpl' : 'cmpl'}-${idPrefix}${(seq++).toString(36)}`,
        created: Math.floor(Date.now() / 1000),
        model,
        includeUsage:
          (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
      };
      const res = await transport.post(
        'root',
        chat ? paths.chat : paths.completions,
        JSON.stringify(request),
        call,
        'application/x-ndjson',
      );
      if (!call.stream) {
        const r = await readJsonObject(res, name);
        return {
          kind: 'json',
          status: res.status,
          body: chat ? fromOllamaChat(r, ctx) : fromOllamaGenerate(r, ctx),
        };
      }
      const translator = chat ? createChatStreamTranslator(ctx) : createCompletionStreamTranslator(ctx);
      return { kind: 'stream', status: res.status, chunks: ndjsonChunks(res, translator, name) };
    },
    checkHealth: (signal) => transport.probe('root', healthPath, signal),
    close: () => transport.close(),
  };
}

function parseLine(text: string, name: string): Obj {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    line = undefined;
  }
  if (line === null || typeof line !== 'object' || Array.isArray(line))
    throw new UpstreamError('upstream_stream_interrupted', {
      retryable: false,
      upstreamFault: true,
      detail: `${name}: stream line is not a JSON object`,
    });
  const l = line as Obj;
  if (l.error !== undefined)
    throw new UpstreamError('upstream_stream_interrupted', {
      retryable: false,
      upstreamFault: true,
      detail: `${name}: upstream reported an error mid-stream`,
    });
  return l;
}

async function* ndjsonChunks(
  res: UpstreamResponse,
  translator: StreamTranslator,
  name: string,
): AsyncGenerator<Obj> {
  const splitter = createNdjsonSplitter();
  const decoder = new TextDecoder();
  try {
    for await (const bytes of res.body) {
      if (translator.done) continue; // drain so the keep-alive socket is reused
      for (const text of splitter.push(decoder.decode(bytes, { stream: true }))) {
        yield* translator.translate(parseLine(text, name));
        if (translator.done) break;
      }
    }
    if (!translator.done) {
      for (const text of [...splitter.push(decoder.decode()), ...splitter.flush()]) {
        yield* translator.translate(parseLine(text, name));
        if (translator.done) break;
      }
    }
  } catch (err) {
    throw res.bodyError(err);
  } finally {
    res.release();
  }
  if (!translator.done)
    throw new UpstreamError('upstream_stream_interrupted', {
      retryable: false,
      upstreamFault: true,
      detail: `${name}: stream ended before done`,
    });
}
