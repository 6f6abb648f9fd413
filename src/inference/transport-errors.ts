// How transport outcomes become UpstreamErrors: which failures allow failover (nothing reached the
// model), which count against the upstream's circuit, and what of an upstream 4xx a client may see.
import { AirlockError } from '../errors.ts';
import type { Timeouts } from './http-transport.ts';
import { clientErrorFromBody, UpstreamError } from './upstream-error.ts';

// Errors raised before any response byte: nothing reached the model, so another target may be tried.
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
export function statusError(
  name: string,
  status: number,
  body: unknown,
  secret: string | undefined,
): UpstreamError {
  const detail = `${name}: HTTP ${status}`;
  // 401/403 concern airlock's own upstream credential, never the client's: internal, and a target
  // holding another credential may still serve the request.
  if (status >= 500 || status === 401 || status === 403)
    return new UpstreamError('upstream_error', {
      retryable: true,
      upstreamFault: true,
      upstreamStatus: status,
      detail,
    });
  // 429: the upstream is alive but saturated; another target may serve the request.
  return new UpstreamError('upstream_error', {
    retryable: status === 429,
    upstreamFault: false,
    upstreamStatus: status,
    clientError: clientErrorFromBody(status, body, secret),
    detail,
  });
}

export function transportError(
  name: string,
  err: unknown,
  phase: 'connect' | 'body',
  t: Pick<Timeouts, 'firstByteMs' | 'idleMs'>,
): AirlockError {
  // Our own errors and those of a wrapping dispatcher (e.g. egress_denied) keep their code.
  if (err instanceof AirlockError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const c = typeof code === 'string' ? code : 'unknown';
  if (c === 'UND_ERR_HEADERS_TIMEOUT')
    // Not retried: the request may be running on the model; the breaker moves traffic if it persists.
    return new UpstreamError('upstream_timeout', {
      retryable: false,
      upstreamFault: true,
      detail: `${name}: no response headers within ${t.firstByteMs}ms`,
      cause: err,
    });
  if (c === 'UND_ERR_BODY_TIMEOUT')
    return new UpstreamError('upstream_timeout', {
      retryable: false,
      upstreamFault: true,
      detail: `${name}: no data for ${t.idleMs}ms`,
      cause: err,
    });
  if (phase === 'body')
    return new UpstreamError('upstream_stream_interrupted', {
      retryable: false,
      upstreamFault: true,
      detail: `${name}: response body failed (${c})`,
      cause: err,
    });
  const connectFailure = CONNECT_FAILURES.has(c);
  return new UpstreamError('upstream_unavailable', {
    retryable: connectFailure,
    upstreamFault: connectFailure,
    detail: `${name}: request failed before a response (${c})`,
    cause: err,
  });
}
