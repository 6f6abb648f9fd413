// Adapter for any OpenAI-compatible server (vLLM, llama.cpp server, TGI, LM Studio, Ollama /v1, and
// airlock's embedded worker). Bodies pass through as the client sent them (model already replaced);
// non-streaming responses are parsed once, streams are parsed from SSE into chunk objects.
import type { UpstreamConfig } from '../config/schema.ts';
import {
  createHttpTransport,
  type PathBase,
  readJsonObject,
  type TransportDeps,
  type UpstreamResponse,
} from './http-transport.ts';
import { createSseParser } from './sse-parser.ts';
import type { Endpoint, UpstreamAdapter, UpstreamResult } from './types.ts';
import { UpstreamError } from './upstream-error.ts';

export type OpenAiAdapterDeps = TransportDeps;

type Chunk = Record<string, unknown>;

export function createOpenAiAdapter(config: UpstreamConfig, deps: OpenAiAdapterDeps): UpstreamAdapter {
  const transport = createHttpTransport(config, deps);
  const name = config.name;
  const paths: Record<Endpoint, string> = {
    chat: '/chat/completions',
    completions: '/completions',
    embeddings: '/embeddings',
  };
  // An explicit health path hangs off the server root; the default is the OpenAI model list.
  const healthBase: PathBase = config.health.path ? 'root' : 'openai';
  const healthPath = config.health.path ?? '/models';

  return {
    name,
    kind: config.kind,
    async call(call): Promise<UpstreamResult> {
      const res = await transport.post(
        'openai',
        paths[call.endpoint],
        JSON.stringify(call.body),
        call,
        call.stream ? 'text/event-stream' : 'application/json',
      );
      // Some servers answer a streaming request with plain JSON (for example a cached result).
      if (call.stream && res.contentType.includes('text/event-stream')) {
        return { kind: 'stream', status: res.status, chunks: sseChunks(res, name, call.signal) };
      }
      return { kind: 'json', status: res.status, body: await readJsonObject(res, name) };
    },
    checkHealth: (signal) => transport.probe(healthBase, healthPath, signal),
    close: () => transport.close(),
  };
}

/** Parses one SSE data payload; an upstream that reports an error in-band ends the stream with it. */
function parseChunk(event: string, data: string, name: string): Chunk {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    chunk = undefined;
  }
  if (chunk === null || typeof chunk !== 'object' || Array.isArray(chunk))
    throw new UpstreamError('upstream_stream_interrupted', {
      retryable: false,
      upstreamFault: true,
      detail: `${name}: stream chunk is not a JSON object`,
    });
  const c = chunk as Chunk;
  if (event === 'error' || (c.error !== undefined && c.choices === undefined))
    throw new UpstreamError('upstream_stream_interrupted', {
      retryable: false,
      upstreamFault: true,
      detail: `${name}: upstream reported an error mid-stream`,
    });
  return c;
}

function hasFinishReason(chunk: Chunk): boolean {
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return false;
  for (const choice of choices) if (choice?.finish_reason) return true;
  return false;
}

/** Chunks of one SSE response. Once the caller aborts, nothing more is yielded — not even chunks that
 *  arrived in the same read — so a client that went away stops the stream at once. */
async function* sseChunks(res: UpstreamResponse, name: string, signal: AbortSignal): AsyncGenerator<Chunk> {
  const parser = createSseParser();
  const decoder = new TextDecoder();
  let done = false; // saw [DONE]
  let finished = false; // saw a finish_reason: servers that omit [DONE] still ended properly
  try {
    for await (const bytes of res.body) {
      // After [DONE], keep reading to the end of the body so the keep-alive socket is reused.
      if (done) continue;
      for (const ev of parser.push(decoder.decode(bytes, { stream: true }))) {
        if (ev.data === '[DONE]') {
          done = true;
          break;
        }
        const chunk = parseChunk(ev.event, ev.data, name);
        if (!finished && hasFinishReason(chunk)) finished = true;
        signal.throwIfAborted();
        yield chunk;
      }
    }
    if (!done) {
      for (const ev of [...parser.push(decoder.decode()), ...parser.flush()]) {
        if (ev.data === '[DONE]') {
          done = true;
          break;
        }
        const chunk = parseChunk(ev.event, ev.data, name);
        if (!finished && hasFinishReason(chunk)) finished = true;
        signal.throwIfAborted();
        yield chunk;
      }
    }
  } catch (err) {
    throw res.bodyError(err);
  } finally {
    res.release();
  }
  if (!done && !finished)
    throw new UpstreamError('upstream_stream_interrupted', {
      retryable: false,
      upstreamFault: true,
      detail: `${name}: stream ended without [DONE] or a finish_reason`,
    });
}
