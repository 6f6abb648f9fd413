// The HTTP leg to one internal service: a keep-alive undici Pool built once, the four timeouts,
// the service credential injected last (P5), an allowlist of headers each way (the client's
// Authorization, cookies and hop-by-hop headers never cross), x-request-id and traceparent
// propagated, and a capped body read (the whole response is inspected before anything is sent).
import { type Dispatcher, Pool } from 'undici';
import { durationMs } from '../config/duration.ts';
import { AirlockError } from '../errors.ts';
import type { Timeouts } from '../inference/http-transport.ts';
import { transportError } from '../inference/transport-errors.ts';
import { UpstreamError } from '../inference/upstream-error.ts';
import type { ApiServiceConfig } from './config.ts';

export interface ApiUpstreamRequest {
  readonly method: string;
  /** Path and query below the service's base URL, built from the operation's template. */
  readonly path: string;
  /** Declared header parameters only (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly requestId: string;
  readonly traceparent: string;
  readonly signal: AbortSignal;
}

export interface ApiUpstreamResponse {
  readonly status: number;
  readonly contentType: string;
  /** Response headers a client may see (content-type is sent by the surface). */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface ApiUpstream {
  call(request: ApiUpstreamRequest): Promise<ApiUpstreamResponse>;
  close(): Promise<void>;
}

export interface ApiUpstreamDeps {
  /** `secret:NAME` → value, asked on every request so rotation takes effect. */
  resolveSecret(ref: string): string;
  /** Shared dispatcher (for example the egress-guarded one); not closed by close(). */
  dispatcher?: Dispatcher;
}

/** Response headers passed back to the client; everything else (set-cookie, server, hop-by-hop,
 *  the service's own auth challenges) stays inside. */
const RESPONSE_HEADERS = [
  'etag',
  'last-modified',
  'location',
  'cache-control',
  'retry-after',
  'content-language',
];

export function createApiUpstream(config: ApiServiceConfig, deps: ApiUpstreamDeps): ApiUpstream {
  const timeouts: Timeouts = {
    connectMs: durationMs(config.timeouts.connect),
    firstByteMs: durationMs(config.timeouts.firstByte),
    idleMs: durationMs(config.timeouts.idle),
    totalMs: durationMs(config.timeouts.total),
  };
  const base = new URL(config.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const own = deps.dispatcher === undefined;
  const dispatcher =
    deps.dispatcher ??
    new Pool(base.origin, {
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.firstByteMs,
      bodyTimeout: timeouts.idleMs,
      keepAliveTimeout: 30_000,
    });
  const name = `api:${config.name}`;
  const credential = config.credential;

  return {
    async call(req) {
      if (req.signal.aborted) throw req.signal.reason;
      const headers: Record<string, string> = {
        ...req.headers,
        accept: 'application/json',
        'x-request-id': req.requestId,
        traceparent: req.traceparent,
      };
      let payload: string | undefined;
      if (req.body !== undefined) {
        payload = JSON.stringify(req.body);
        headers['content-type'] = 'application/json';
      }
      // Last-hop injection, after everything else so nothing the client sent can choose it (P5).
      if (credential)
        headers[credential.header] = `${credential.prefix}${deps.resolveSecret(credential.secret)}`;

      const ac = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ac.abort();
      }, timeouts.totalMs);
      timer.unref();
      const onAbort = () => ac.abort();
      req.signal.addEventListener('abort', onAbort, { once: true });
      const classify = (err: unknown, phase: 'connect' | 'body'): unknown => {
        if (req.signal.aborted) return req.signal.reason;
        if (timedOut)
          return new UpstreamError('upstream_timeout', {
            retryable: false,
            upstreamFault: true,
            detail: `${name}: total deadline of ${timeouts.totalMs}ms passed`,
          });
        if (err instanceof AirlockError) return err;
        return transportError(name, err, phase, timeouts);
      };
      try {
        let res: Dispatcher.ResponseData;
        try {
          res = await dispatcher.request({
            origin: base.origin,
            path: prefix + req.path,
            method: req.method as Dispatcher.HttpMethod,
            headers,
            ...(payload === undefined ? {} : { body: payload }),
            signal: ac.signal,
            headersTimeout: timeouts.firstByteMs,
            bodyTimeout: timeouts.idleMs,
          });
        } catch (err) {
          throw classify(err, 'connect');
        }
        let text: string;
        try {
          text = await readCapped(res.body, config.maxResponseBytes, name);
        } catch (err) {
          throw classify(err, 'body');
        }
        const status = res.statusCode;
        // 401/403/407 concern airlock's own credential for the service, never the client's; 5xx
        // bodies tend to carry stack traces: both stay internal.
        if (status >= 500 || status === 401 || status === 403 || status === 407)
          throw new UpstreamError('upstream_error', {
            retryable: false,
            upstreamFault: status >= 500,
            upstreamStatus: status,
            detail: `${name}: HTTP ${status}`,
          });
        const out: Record<string, string> = {};
        for (const h of RESPONSE_HEADERS) {
          const v = res.headers[h];
          if (typeof v === 'string') out[h] = v;
        }
        const ct = res.headers['content-type'];
        return { status, contentType: typeof ct === 'string' ? ct : '', headers: out, text };
      } finally {
        clearTimeout(timer);
        req.signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      if (own) await dispatcher.close();
    },
  };
}

async function readCapped(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  name: string,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new UpstreamError('upstream_error', {
        retryable: false,
        upstreamFault: true,
        detail: `${name}: response larger than ${limit} bytes`,
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
