// The HTTP leg shared by every adapter: one keep-alive undici Pool per upstream (built once), the four
// timeouts, credential injection at the last hop, cancellation, and the mapping of transport failures
// to UpstreamError. Protocol adapters (OpenAI SSE, Ollama NDJSON) only see a status and a body stream.
import { type Dispatcher, Pool } from 'undici';
import { durationMs } from '../config/duration.ts';
import type { UpstreamConfig } from '../config/schema.ts';
import { statusError, transportError } from './transport-errors.ts';
import { UpstreamError } from './upstream-error.ts';

export interface TransportDeps {
  resolveSecret(ref: string): string;
  /** Overrides config.baseUrl. A function is asked on every request: an embedded worker picks its
   *  port at start-up and may come back on another after a restart (the pool follows it); undefined
   *  means "no address yet" → upstream_unavailable, retryable. */
  baseUrl?: string | (() => string | undefined);
  /** Shared dispatcher (for example one that enforces the egress allowlist); not closed by close(). */
  dispatcher?: Dispatcher;
}

export interface Timeouts {
  readonly connectMs: number;
  readonly firstByteMs: number;
  readonly idleMs: number;
  readonly totalMs: number;
}

export interface CallLike {
  readonly headers: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
}

/** A response whose status is below 400. The caller MUST call release() once it is done with body. */
export interface UpstreamResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Dispatcher.ResponseData['body'];
  /** Stops the total-deadline timer and detaches from the caller's signal. Idempotent. */
  release(): void;
  /** Maps an error raised while reading the body (idle timeout, reset, abort) to the error to throw. */
  bodyError(err: unknown): unknown;
}

/** Where a path hangs off baseUrl. 'openai': below '<base>/v1' whether or not baseUrl already ends
 *  in /v1. 'root': below baseUrl's path without a trailing /v1 (Ollama routes, explicit health paths). */
export type PathBase = 'openai' | 'root';

export interface HttpTransport {
  readonly name: string;
  readonly timeouts: Timeouts;
  /** POST JSON. Resolves for status < 400; throws UpstreamError for >= 400 and transport failures,
   *  or the signal's reason when the caller aborted. */
  post(
    base: PathBase,
    path: string,
    payload: string,
    call: CallLike,
    accept: string,
  ): Promise<UpstreamResponse>;
  /** GET for health checks: true on 2xx. Never throws. */
  probe(base: PathBase, path: string, signal: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

interface Target {
  readonly raw: string;
  readonly origin: string;
  readonly root: string;
  readonly openai: string;
  readonly dispatcher: Dispatcher;
}

const MAX_ERROR_BODY = 64 * 1024;

export function timeoutsOf(config: UpstreamConfig): Timeouts {
  return {
    connectMs: durationMs(config.timeouts.connect),
    firstByteMs: durationMs(config.timeouts.firstByte),
    idleMs: durationMs(config.timeouts.idle),
    totalMs: durationMs(config.timeouts.total),
  };
}

export function createHttpTransport(config: UpstreamConfig, deps: TransportDeps): HttpTransport {
  const given = deps.baseUrl ?? config.baseUrl;
  if (given === undefined) throw new Error(`upstream ${config.name}: no baseUrl`);
  const source: string | (() => string | undefined) = given;
  const timeouts = timeoutsOf(config);
  const name = config.name;
  const ownDispatcher = deps.dispatcher === undefined;
  const apiKeyRef = config.apiKey;

  function targetFor(raw: string): Target {
    const url = new URL(raw);
    const path = url.pathname.replace(/\/+$/, '');
    const root = path.endsWith('/v1') ? path.slice(0, -3) : path;
    const dispatcher =
      deps.dispatcher ??
      new Pool(url.origin, {
        connect: { timeout: timeouts.connectMs },
        headersTimeout: timeouts.firstByteMs,
        bodyTimeout: timeouts.idleMs,
        keepAliveTimeout: 30_000,
      });
    return { raw, origin: url.origin, root, openai: `${root}/v1`, dispatcher };
  }
  // Built once for a fixed URL; for a moving one, rebuilt only when the address changes.
  let target: Target | undefined = typeof source === 'string' ? targetFor(source) : undefined;
  function current(): Target {
    if (typeof source === 'string') return target!;
    const raw = source();
    if (raw === undefined)
      throw new UpstreamError('upstream_unavailable', {
        retryable: true,
        upstreamFault: true,
        detail: `${name}: no address yet`,
      });
    if (target === undefined || target.raw !== raw) {
      const old = target;
      target = targetFor(raw);
      // close() lets requests still in flight on the old address finish.
      if (old && ownDispatcher) old.dispatcher.close().catch(() => {});
    }
    return target;
  }

  function headersFor(call: CallLike, accept: string): Record<string, string> {
    const h: Record<string, string> = { ...call.headers, 'content-type': 'application/json', accept };
    // Last hop injection (P5): resolved per request so rotation takes effect; set after the caller's
    // headers so nothing upstream of us can choose the credential.
    if (apiKeyRef !== undefined) h.authorization = `Bearer ${deps.resolveSecret(apiKeyRef)}`;
    return h;
  }

  async function post(
    base: PathBase,
    reqPath: string,
    payload: string,
    call: CallLike,
    accept: string,
  ): Promise<UpstreamResponse> {
    const callSignal = call.signal;
    if (callSignal.aborted) throw abortReason(callSignal);
    const t = current();
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, timeouts.totalMs);
    timer.unref(); // the socket keeps the process alive while the request matters
    const onAbort = () => ac.abort();
    callSignal.addEventListener('abort', onAbort, { once: true });
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      callSignal.removeEventListener('abort', onAbort);
    };
    const classify = (err: unknown, phase: 'connect' | 'body'): unknown => {
      if (callSignal.aborted) return abortReason(callSignal);
      if (timedOut)
        return new UpstreamError('upstream_timeout', {
          retryable: false,
          upstreamFault: true,
          detail: `${name}: total deadline of ${timeouts.totalMs}ms passed`,
        });
      return transportError(name, err, phase, timeouts);
    };

    let res: Dispatcher.ResponseData;
    try {
      res = await t.dispatcher.request({
        origin: t.origin,
        path: (base === 'openai' ? t.openai : t.root) + reqPath,
        method: 'POST',
        headers: headersFor(call, accept),
        body: payload,
        signal: ac.signal,
        headersTimeout: timeouts.firstByteMs,
        bodyTimeout: timeouts.idleMs,
      });
    } catch (err) {
      release();
      throw classify(err, 'connect');
    }
    const status = res.statusCode;
    if (status >= 400) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readCapped(res.body, MAX_ERROR_BODY));
      } catch {
        parsed = undefined;
      } finally {
        release();
      }
      throw statusError(
        name,
        status,
        parsed,
        apiKeyRef === undefined ? undefined : deps.resolveSecret(apiKeyRef),
      );
    }
    const ct = res.headers['content-type'];
    return {
      status,
      contentType: typeof ct === 'string' ? ct : '',
      body: res.body,
      release,
      bodyError: (err) => classify(err, 'body'),
    };
  }

  async function probe(base: PathBase, probePath: string, signal: AbortSignal): Promise<boolean> {
    try {
      const t = current();
      const path = (base === 'openai' ? t.openai : t.root) + probePath;
      const res = await t.dispatcher.request({ origin: t.origin, path, method: 'GET', signal });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300;
    } catch {
      return false;
    }
  }

  return {
    name,
    timeouts,
    post,
    probe,
    async close() {
      if (ownDispatcher && target) await target.dispatcher.close();
    },
  };
}

/** Reads a whole 2xx body as one JSON object (the one parse on the non-streaming path). */
export async function readJsonObject(res: UpstreamResponse, name: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    throw res.bodyError(err);
  } finally {
    res.release();
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new UpstreamError('upstream_error', {
      retryable: false,
      upstreamFault: true,
      upstreamStatus: res.status,
      detail: `${name}: response body is not a JSON object`,
    });
  return body as Record<string, unknown>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  let text = '';
  for await (const chunk of body) {
    text += chunk.toString();
    if (text.length > limit) {
      body.destroy();
      break;
    }
  }
  return text;
}
