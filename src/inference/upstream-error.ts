// Errors from the upstream side carry two facts the router needs and the catalogue does not:
// whether another target may be tried (retryable) and whether the upstream itself is unwell
// (counts toward its circuit breaker). The edge treats them as ordinary AirlockErrors, except
// that an upstream 4xx may surface the upstream's status and a scrubbed message (clientError).
import { AirlockError, type ErrorCode } from '../errors.ts';

/** What the edge may show a client instead of the catalogue default (upstream 4xx only). */
export interface UpstreamClientError {
  readonly status: number;
  /** Upstream's message with URLs, addresses, hosts and paths removed (safeUpstreamMessage). */
  readonly message: string;
  readonly type: string | undefined;
  readonly param: string | undefined;
  readonly code: string | undefined;
}

export interface UpstreamErrorOptions {
  /** Another target may be tried: nothing reached the model, or the upstream refused before the first byte. */
  retryable: boolean;
  /** The upstream is unwell (connect failure, 5xx, timeout, broken stream): counts toward its circuit. */
  upstreamFault: boolean;
  upstreamStatus?: number;
  clientError?: UpstreamClientError;
  detail?: string;
  retryAfter?: number;
  cause?: unknown;
}

export class UpstreamError extends AirlockError {
  readonly retryable: boolean;
  readonly upstreamFault: boolean;
  /** HTTP status the upstream answered with, when it answered. */
  readonly upstreamStatus: number | undefined;
  readonly clientError: UpstreamClientError | undefined;

  constructor(code: ErrorCode, opts: UpstreamErrorOptions) {
    super(code, { detail: opts.detail, retryAfter: opts.retryAfter, cause: opts.cause });
    this.name = 'UpstreamError';
    this.retryable = opts.retryable;
    this.upstreamFault = opts.upstreamFault;
    this.upstreamStatus = opts.upstreamStatus;
    this.clientError = opts.clientError;
  }
}

/** True when failover to the next target is allowed. Client aborts and unknown errors are not. */
export function isRetryable(err: unknown): boolean {
  return err instanceof UpstreamError && err.retryable;
}

/** True when the error says the upstream is unwell (feeds the circuit breaker). */
export function isUpstreamFault(err: unknown): boolean {
  return err instanceof UpstreamError && err.upstreamFault;
}

// Upstream messages can name internal hosts, ports, URLs and model file paths; clients of an air-gapped
// gateway must learn none of them (P5 and network-map disclosure), so each is replaced by a placeholder.
const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
const IPV4_RE = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g;
// Candidate IPv6 literals (optionally bracketed, with a port); see ipv6() for which ones count.
const IPV6_RE = /\[?(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\]?(?::\d{1,5})?/gi;
const HOST_RE =
  /\b(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:local|localdomain|internal|intranet|lan|corp|home|svc|cluster|arpa))\b(?::\d{1,5})?/gi;
const HOST_PORT_RE = /\b[a-z][a-z0-9.-]*:\d{2,5}\b/gi;
// Credential-shaped strings: OpenAI-style keys and bearer tokens an upstream may echo back.
const TOKEN_RE = /\b(?:sk|pk|rk|ak)-[A-Za-z0-9_-]{8,}|(?<=\bBearer\s+)[A-Za-z0-9._~+/=-]+/g;
const PATH_RE = /(?:[A-Za-z]:)?(?:[/\\][\w.@+-]+){2,}[/\\]?/g;
const MAX_MESSAGE = 500;

/** A time such as 12:30:45 is not an address: require '::' or at least four colons. */
function ipv6(match: string): string {
  const core = match.replace(/\]:\d+$/, ']');
  return core.includes('::') || core.split(':').length > 4 ? '[address]' : match;
}

/** Scrub an upstream error message so it can reach a client; undefined when there is nothing usable. */
export function safeUpstreamMessage(raw: unknown, secret?: string): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0) return undefined;
  let text = raw.slice(0, 2 * MAX_MESSAGE);
  if (secret) text = text.replaceAll(secret, '[secret]');
  const scrubbed = text
    .replace(TOKEN_RE, '[secret]')
    .replace(URL_RE, '[url]')
    .replace(IPV4_RE, '[address]')
    .replace(IPV6_RE, ipv6)
    .replace(HOST_RE, '[host]')
    .replace(HOST_PORT_RE, '[address]')
    .replace(PATH_RE, '[path]')
    .trim();
  return scrubbed.length > MAX_MESSAGE ? `${scrubbed.slice(0, MAX_MESSAGE)}…` : scrubbed || undefined;
}

/** Read an error body in OpenAI ({error:{message,type,param,code}}) or Ollama ({error:"…"}) shape. */
export function clientErrorFromBody(status: number, body: unknown, secret?: string): UpstreamClientError {
  const fallback = `The upstream rejected the request (HTTP ${status}).`;
  const err = body && typeof body === 'object' ? (body as Record<string, unknown>).error : undefined;
  if (typeof err === 'string') {
    return {
      status,
      message: safeUpstreamMessage(err) ?? fallback,
      type: undefined,
      param: undefined,
      code: undefined,
    };
  }
  const e = err && typeof err === 'object' ? (err as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' ? safeUpstreamMessage(v, secret) : undefined);
  return {
    status,
    message: str(e.message) ?? fallback,
    type: str(e.type),
    param: str(e.param),
    code: typeof e.code === 'string' || typeof e.code === 'number' ? str(String(e.code)) : undefined,
  };
}
