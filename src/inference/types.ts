// Contract between the pipeline's forward stage and the inference plane.
// The gateway speaks OpenAI's wire format on /v1; every adapter takes and returns OpenAI-format
// objects, translating to its upstream's own protocol (for example Ollama's native API) inside.

export type Endpoint = 'chat' | 'completions' | 'embeddings';

/** Request handed to an adapter. `body` is the client's validated body with `model` already replaced
 *  by the upstream's model name; unknown fields are kept so upstreams that understand them get them. */
export interface UpstreamCall {
  readonly endpoint: Endpoint;
  readonly body: Record<string, unknown>;
  readonly stream: boolean;
  /** Propagated upstream: x-request-id and W3C traceparent. Credentials are added by the adapter. */
  readonly headers: Readonly<Record<string, string>>;
  /** Aborted when the client goes away or the total deadline passes. */
  readonly signal: AbortSignal;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export type UpstreamResult =
  | { readonly kind: 'json'; readonly status: number; readonly body: Record<string, unknown> }
  /** OpenAI-format chunk objects (chat.completion.chunk / text_completion), without the final [DONE]. */
  | { readonly kind: 'stream'; readonly status: number; readonly chunks: AsyncIterable<Record<string, unknown>> };

/** One upstream server. Built once at start-up by a factory from validated config. */
export interface UpstreamAdapter {
  readonly name: string;
  readonly kind: 'openai' | 'ollama' | 'embedded';
  /** Throws AirlockError: upstream_unavailable (connect failure), upstream_timeout, upstream_error
   *  (4xx/5xx; `retryable` distinguishes 5xx-before-first-byte for failover). */
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
  /** Tries targets in order; fails over on connect errors and on 5xx before the first byte.
   *  Returns the result and which target served it. */
  forward(model: ResolvedModel, call: Omit<UpstreamCall, 'body'> & { body: Record<string, unknown> }): Promise<{
    result: UpstreamResult;
    target: RouteTarget;
  }>;
  health(): Record<string, { healthy: boolean; circuit: 'closed' | 'open' | 'half-open' }>;
  start(): void;
  close(): Promise<void>;
}
