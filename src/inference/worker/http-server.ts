// The worker's OpenAI-compatible HTTP surface on loopback. node:http rather than a framework: five
// routes, and streaming needs direct control of the socket (SSE framing, client-abort detection).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AirlockError, toAirlockError } from '../../errors.ts';
import type { Engine, GenerationResult } from './engine.ts';
import type { WorkerLogger } from './log.ts';
import { parseChatRequest, parseCompletionRequest, parseEmbeddingRequest } from './openai-requests.ts';
import {
  chatChunk,
  chatCompletion,
  chatUsageChunk,
  embeddingList,
  errorBody,
  modelList,
  newId,
  nowSeconds,
  type ResponseMeta,
  textCompletion,
  textCompletionChunk,
  usageOf,
} from './openai-responses.ts';

export interface WorkerServerOptions {
  readonly alias: string;
  readonly log: WorkerLogger;
  /** Request bodies above this are refused (long chat histories are large, but not this large). */
  readonly maxBodyBytes?: number;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: AirlockError): void {
  const headers: Record<string, string> =
    err.retryAfter === undefined ? {} : { 'retry-after': String(err.retryAfter) };
  sendJson(res, err.status, errorBody(err), headers);
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new AirlockError('unsupported_media_type');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new AirlockError('body_too_large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AirlockError('invalid_json');
  }
}

/** Server-sent events writer. Headers go out with the first event, so an error that happens before
 *  any output (queue full, prompt too long) still gets a proper status code. */
function sseWriter(res: ServerResponse) {
  const open = () => {
    if (res.headersSent) return;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.flushHeaders();
  };
  return {
    event(data: unknown) {
      open();
      res.write(`data: ${JSON.stringify(data)}\n\n`);
    },
    done() {
      open();
      res.end('data: [DONE]\n\n');
    },
    get started() {
      return res.headersSent;
    },
  };
}

type Endpoint = 'chat' | 'completions';

export function createWorkerServer(engine: Engine, opts: WorkerServerOptions): Server {
  const { alias, log } = opts;
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const startedAt = nowSeconds();

  function finish(endpoint: string, started: number, status: number, r?: GenerationResult): void {
    // Counts and timings only: prompts and completions never reach the log (P5/P6).
    log.info({
      event: 'request',
      endpoint,
      status,
      ms: Math.round(performance.now() - started),
      ...(r ? { ...usageOf(r), finish_reason: r.finishReason, aborted: r.aborted } : {}),
    });
  }

  async function generate(
    endpoint: Endpoint,
    body: unknown,
    res: ServerResponse,
    signal: AbortSignal,
    t0: number,
  ) {
    const chat = endpoint === 'chat';
    const req = chat ? parseChatRequest(body) : parseCompletionRequest(body);
    const meta: ResponseMeta = { id: newId(chat ? 'chatcmpl' : 'cmpl'), created: nowSeconds(), model: alias };
    const run = (onText?: (t: string) => void) =>
      chat
        ? engine.chat(req as ReturnType<typeof parseChatRequest>, signal, onText)
        : engine.complete(req as ReturnType<typeof parseCompletionRequest>, signal, onText);

    if (!req.params.stream) {
      const result = await run();
      if (result.aborted) return finish(endpoint, t0, 499, result);
      sendJson(res, 200, chat ? chatCompletion(meta, result) : textCompletion(meta, result));
      return finish(endpoint, t0, 200, result);
    }

    const sse = sseWriter(res);
    const usage = req.params.includeUsage;
    let sentRole = false;
    const sendRole = () => {
      if (chat && !sentRole) sse.event(chatChunk(meta, { role: 'assistant', content: '' }, null, usage));
      sentRole = true;
    };
    const onText = (text: string) => {
      if (text === '' || signal.aborted) return;
      sendRole();
      sse.event(
        chat ? chatChunk(meta, { content: text }, null, usage) : textCompletionChunk(meta, text, null),
      );
    };
    let result: GenerationResult;
    try {
      result = await run(onText);
    } catch (err) {
      if (!sse.started) throw err;
      // Mid-stream failure: headers are gone, so the error travels as an event, then the stream ends.
      const e = toAirlockError(err);
      log.error({
        event: 'stream_failed',
        endpoint,
        code: e.code,
        detail: e.detail ?? String(e.cause ?? ''),
      });
      sse.event(errorBody(e));
      return sse.done();
    }
    if (result.aborted || signal.aborted) return finish(endpoint, t0, 499, result);
    sendRole();
    sse.event(
      chat
        ? chatChunk(meta, {}, result.finishReason, usage)
        : textCompletionChunk(meta, '', result.finishReason),
    );
    if (usage)
      sse.event(
        chat ? chatUsageChunk(meta, usageOf(result)) : textCompletionChunk(meta, '', null, usageOf(result)),
      );
    sse.done();
    finish(endpoint, t0, 200, result);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, ac: AbortController): Promise<void> {
    const t0 = performance.now();
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /healthz':
        return sendJson(res, 200, { status: 'ok', model: alias, slots: engine.stats() });
      case 'GET /v1/models':
        return sendJson(res, 200, modelList(alias, startedAt));
      case 'POST /v1/chat/completions':
        return generate('chat', await readJson(req, maxBody), res, ac.signal, t0);
      case 'POST /v1/completions':
        return generate('completions', await readJson(req, maxBody), res, ac.signal, t0);
      case 'POST /v1/embeddings': {
        const body = parseEmbeddingRequest(await readJson(req, maxBody));
        const out = await engine.embed(body.inputs, ac.signal);
        sendJson(res, 200, embeddingList(alias, out.vectors, body.encoding, out.promptTokens));
        return finish('embeddings', t0, 200);
      }
    }
    const known = ['/healthz', '/v1/models', '/v1/chat/completions', '/v1/completions', '/v1/embeddings'];
    throw new AirlockError(known.includes(path ?? '') ? 'method_not_allowed' : 'not_found');
  }

  return createServer((req, res) => {
    // A client that goes away aborts its generation (or its place in the queue).
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort(new Error('client closed the connection'));
    });
    handle(req, res, ac).catch((err: unknown) => {
      if (ac.signal.aborted) {
        log.info({ event: 'client_gone', path: (req.url ?? '').split('?')[0] });
        return;
      }
      const e = toAirlockError(err);
      if (e.code === 'internal_error') log.error({ event: 'request_failed', error: String(e.cause ?? e) });
      else log.warn({ event: 'request_refused', code: e.code, detail: e.detail });
      if (res.headersSent) res.end();
      else if (!res.destroyed) sendError(res, e);
    });
  });
}
