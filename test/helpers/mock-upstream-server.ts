// Shared plumbing for the mock upstreams (mock-openai-upstream.ts, mock-ollama-upstream.ts): a real
// HTTP server on 127.0.0.1 with request recording, client-abort counting, awaitable counters and a
// streaming writer that can die or stall on cue. Knobs that both mocks share live here too.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';

/** Knobs shared by both mocks. Every field can be changed at any time with setBehaviour(). */
export interface CommonBehaviour {
  /** Delay before the response headers are sent (first-byte latency). */
  latencyMs: number;
  /** Content chunks per streamed response; also the number of words in a non-streamed answer. */
  chunkCount: number;
  /** Gap between streamed chunks; 0 writes the whole stream at once (fastest, for benchmarks). */
  chunkDelayMs: number;
  /** Text of each chunk; a full answer is `word` repeated chunkCount times. */
  word: string;
  /** Prompt tokens reported in usage (per input for embeddings). */
  promptTokens: number;
  /** Answer the next N requests with failStatus (the counter decreases as they are served). */
  failNext: number;
  failStatus: number;
  /** Message in the error body of injected failures. */
  failMessage: string;
  /** Destroy the next N connections right after reading the request, without any response. */
  dropNext: number;
  /** Destroy the socket after this many content chunks of a stream (undefined: never). */
  dieMidStream: number | undefined;
  /** Stop writing after this many content chunks, leaving the response open (undefined: never). */
  stallAfterChunks: number | undefined;
  /** Embedding vector length. */
  embeddingDimensions: number;
  /** Model names listed by /v1/models or /api/tags. */
  models: string[];
  /** JSON text of the arguments of the tool call returned when a request carries `tools`. */
  toolArguments: string;
}

export const defaultBehaviour: CommonBehaviour = {
  latencyMs: 0,
  chunkCount: 20,
  chunkDelayMs: 0,
  word: 'tok ',
  promptTokens: 10,
  failNext: 0,
  failStatus: 500,
  failMessage: 'injected failure',
  dropNext: 0,
  dieMidStream: undefined,
  stallAfterChunks: undefined,
  embeddingDimensions: 8,
  models: ['mock-model'],
  toolArguments: '{"q":"mock"}',
};

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when there was none or it was not JSON. */
  readonly body: unknown;
}

export interface MockServerBase<B> {
  /** http://127.0.0.1:<port>, without /v1. */
  readonly url: string;
  readonly port: number;
  /** Requests in arrival order (up to 10 000; disable with record: false for benchmarks). */
  readonly requests: RecordedRequest[];
  /** Requests whose client went away before the response was complete. */
  readonly aborted: number;
  /** Emits 'request' (RecordedRequest) and 'aborted' (RecordedRequest). */
  readonly events: EventEmitter;
  readonly behaviour: Readonly<B>;
  setBehaviour(partial: Partial<B>): void;
  /** Resolves once `aborted` reaches n. */
  waitForAborted(n: number): Promise<void>;
  /** Resolves once n requests have been received in total. */
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

export interface Exchange<B> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  readonly body: unknown;
  readonly behaviour: B;
  /** True once the client has gone or the mock destroyed the socket itself. */
  closed(): boolean;
  /** Destroy the socket on purpose (not counted as a client abort). */
  kill(): void;
}

export type Route<B> = (ex: Exchange<B>) => void;

const MAX_RECORDED = 10_000;

export async function startMockServer<B extends CommonBehaviour>(
  initial: B,
  route: Route<B>,
  opts: { record?: boolean; onBehaviourChange?: () => void } = {},
): Promise<MockServerBase<B>> {
  let behaviour: B = { ...initial };
  const requests: RecordedRequest[] = [];
  const events = new EventEmitter();
  let aborted = 0;
  let received = 0;
  const record = opts.record ?? true;

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const text = parts.length === 1 ? parts[0]!.toString() : Buffer.concat(parts).toString();
      let body: unknown;
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const path = req.url ?? '/';
      const entry: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body };
      received++;
      if (record && requests.length < MAX_RECORDED) requests.push(entry);
      events.emit('request', entry);
      let killed = false;
      let gone = false;
      res.on('close', () => {
        gone = true;
        if (!res.writableFinished && !killed) {
          aborted++;
          events.emit('aborted', entry);
        }
      });
      const kill = () => {
        killed = true;
        res.socket?.destroy();
      };
      if (behaviour.dropNext > 0) {
        behaviour.dropNext--;
        kill();
        return;
      }
      route({ req, res, path, body, behaviour, closed: () => gone || killed, kill });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const waitFor = (count: () => number, event: string, n: number) =>
    new Promise<void>((resolve) => {
      if (count() >= n) return resolve();
      const check = () => {
        if (count() >= n) {
          events.off(event, check);
          resolve();
        }
      };
      events.on(event, check);
    });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get aborted() {
      return aborted;
    },
    events,
    get behaviour() {
      return behaviour;
    },
    setBehaviour(partial) {
      behaviour = { ...behaviour, ...partial };
      opts.onBehaviourChange?.();
    },
    waitForAborted: (n) => waitFor(() => aborted, 'aborted', n),
    waitForRequests: (n) => waitFor(() => received, 'request', n),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Calls fn after ms, or at once when ms is 0. Unref'd: a pending delay never holds a test open. */
export function after(ms: number, fn: () => void): void {
  if (ms > 0) setTimeout(fn, ms).unref();
  else fn();
}

/** Takes one from failNext when it is set; returns true when this request must fail. */
export function takeFailure(b: CommonBehaviour): boolean {
  if (b.failNext <= 0) return false;
  b.failNext--;
  return true;
}

export function sendJson(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Writes a streamed body: `head` pieces (before any content), `content` pieces one per chunk, then
 * `tail` pieces. Honours chunkDelayMs, dieMidStream and stallAfterChunks (counted in content pieces).
 */
export function writeStream<B extends CommonBehaviour>(
  ex: Exchange<B>,
  contentType: string,
  head: string[],
  content: string[],
  tail: string[],
): void {
  const { res, behaviour: b } = ex;
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' });
  const die = b.dieMidStream;
  const stall = b.stallAfterChunks;
  if (b.chunkDelayMs === 0 && die === undefined && stall === undefined) {
    res.end(head.join('') + content.join('') + tail.join(''));
    return;
  }
  for (const h of head) res.write(h);
  let i = 0;
  const step = () => {
    if (ex.closed()) return;
    if (die !== undefined && i >= die) {
      // Flush what was written, then cut the connection mid-body.
      res.write('', () => ex.kill());
      return;
    }
    if (stall !== undefined && i >= stall) return;
    if (i >= content.length) {
      res.end(tail.join(''));
      return;
    }
    res.write(content[i++]!);
    after(b.chunkDelayMs, step);
  };
  step();
}

/** A loopback port nothing listens on (bound then released), for connection-refused cases. */
export async function closedLoopbackPort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
