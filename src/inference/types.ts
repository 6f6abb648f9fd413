// Contract between the pipeline's forward stage and the inference plane.
// The gateway speaks OpenAI's wire format on /v1; every adapter takes and returns OpenAI-format
// objects, translating to its upstream's own protocol (for example Ollama's native API) inside.
//
// Errors (upstream-error.ts): adapters and the router throw
//   - UpstreamError (extends AirlockError) with
//       retryable      another target may be tried: connect failure/reset before any response byte,
//                      5xx, 429, 401 or 403 (airlock's own upstream credential) before the first
//                      byte, an embedded worker with no address yet. Never once a response has begun.
//       upstreamFault  the upstream is unwell (connect failure, 5xx, 401/403, any timeout, broken
//                      stream); feeds its circuit breaker. Other 4xx and 429 are not faults.
//       upstreamStatus the upstream's HTTP status when it answered.
//       clientError    for an upstream 4xx other than 401/403: {status, message, type, param, code}, the
//                      upstream's message scrubbed of URLs, addresses, hosts, paths and keys. The /v1
//                      envelope should use it instead of the catalogue default so clients see, e.g.,
//                      "temperature must be <= 2" with status 400.
//   - another AirlockError passed through unchanged (egress_denied from a guarding dispatcher,
//     invalid_request when a body cannot be translated for the upstream);
//   - the signal's reason (an AbortError by default) when UpstreamCall.signal aborted. That is not an
//     upstream verdict: no failover, no circuit change.
// Codes: upstream_unavailable (connect failure; or every target's circuit open, with retryAfter),
// upstream_error (HTTP >= 400), upstream_timeout (first byte, idle gap or total deadline),
// upstream_stream_interrupted (thrown by the chunk iterator when the stream dies mid-way).

export type Endpoint = 'chat' | 'completions' | 'embeddings';

/** Request handed to an adapter. `body` is the client's validated body with `model` already replaced
 *  by the upstream's model name; unknown fields are kept so upstreams that understand them get them. */
export interface UpstreamCall {
  readonly endpoint: Endpoint;
  readonly body: Record<string, unknown>;
  readonly stream: boolean;
  /** Propagated upstream: x-request-id and W3C traceparent. Credentials are added by the adapter. */
  readonly headers: Readonly<Record<string, string>>;
  /** Aborted when the client goes away or the total deadline passes. Aborting closes the upstream
   *  request (its socket) even mid-stream. The adapter also enforces the upstream's own timeouts. */
  readonly signal: AbortSignal;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export type UpstreamResult =
  | { readonly kind: 'json'; readonly status: number; readonly body: Record<string, unknown> }
  /** OpenAI-format chunk objects (chat.completion.chunk / text_completion), without the final [DONE].
   *  The iterator MUST be consumed to the end or closed (return(), i.e. `break` in for-await): that
   *  releases or destroys the upstream connection. It throws upstream_stream_interrupted /
   *  upstream_timeout (idle or total) when the stream breaks, and the signal's reason on abort.
   *  A stream answered with plain JSON by the upstream comes back as kind 'json'. */
  | {
      readonly kind: 'stream';
      readonly status: number;
      readonly chunks: AsyncIterable<Record<string, unknown>>;
    };

/** One upstream server. Built once at start-up by a factory from validated config. */
export interface UpstreamAdapter {
  readonly name: string;
  readonly kind: 'openai' | 'ollama' | 'embedded';
  /** Throws as described at the top of this file; resolves once response headers arrived (< 400). */
  call(call: UpstreamCall): Promise<UpstreamResult>;
  /** Active health check; resolves true when the upstream answers as expected. Never throws. */
  checkHealth(signal: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

export interface RouteTarget {
  readonly upstream: string;
  readonly model: string;
}

/** The resolved route for a model alias. */
export interface ResolvedModel {
  readonly alias: string;
  readonly endpoints: readonly Endpoint[];
  readonly targets: readonly RouteTarget[];
}

/** Routing with health, circuit breaking and failover across a model's targets. */
export interface Router {
  resolve(alias: string): ResolvedModel | undefined;
  /** Tries targets in order, replacing body.model by the target's model; skips targets whose circuit
   *  is open or that failed their health check (unhealthy ones are still tried when nothing else is
   *  left); fails over on retryable errors only. Returns the result and which target served it.
   *  Throws the last error when every attempt failed, or upstream_unavailable (with retryAfter) when
   *  no target could be attempted. */
  forward(
    model: ResolvedModel,
    call: Omit<UpstreamCall, 'body'> & { body: Record<string, unknown> },
  ): Promise<{
    result: UpstreamResult;
    target: RouteTarget;
  }>;
  health(): Record<string, { healthy: boolean; circuit: 'closed' | 'open' | 'half-open' }>;
  start(): void;
  close(): Promise<void>;
}
