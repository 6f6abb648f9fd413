// The state one request carries through the pipeline. Stages read what earlier stages decided and
// add their own decision to the trail; the record stage turns the trail into audit entries.
import type { AirlockError, ErrorCode } from '../errors.ts';
import type { RequestSpan } from '../evidence/tracing/request-tracer.ts';
import { type PeerTls, peerTlsOf } from '../identity/peer-certificate.ts';
import type { IdentityDetails } from '../identity/principal.ts';
import type { Endpoint, ResolvedModel, RouteTarget, TokenUsage } from '../inference/types.ts';
import { traceFromHeader } from './trace-context.ts';

export type StageName =
  | 'receive'
  | 'authenticate'
  | 'resolve'
  | 'authorize'
  | 'quota'
  | 'inspect-in'
  | 'obligations'
  | 'forward'
  | 'inspect-out'
  | 'account'
  | 'record';

export interface Principal {
  readonly kind: 'client' | 'admin';
  /** Owner named when the credential was issued (a service, team or person). */
  readonly id: string;
  readonly credentialId: string;
  readonly credentialPrefix: string;
  readonly expiresAt: Date;
  readonly scopes: { readonly models: readonly string[]; readonly endpoints: readonly string[] };
  /** Subject kind (user | service | agent | workload), credential kind, roles, tenant, OAuth scopes,
   *  `act` delegation chain, task id, SPIFFE id — set by every authenticator but API keys. */
  readonly identity?: IdentityDetails;
}

export interface StageDecision {
  readonly stage: StageName;
  readonly outcome: 'allow' | 'deny' | 'error' | 'info';
  readonly code?: ErrorCode;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** What is being done: a model endpoint, the model list, or an admin operation (`admin.keys.create`). */
export type Operation = Endpoint | 'models' | `admin.${string}`;

export interface TraceContext {
  readonly traceId: string;
  /** This gateway's span for the request; sent upstream as the parent. */
  readonly spanId: string;
  readonly sampled: boolean;
  /** The caller's span id from a valid incoming traceparent. */
  readonly parentSpanId?: string;
}

export interface RequestContext {
  readonly requestId: string;
  readonly trace: TraceContext;
  readonly startedAt: number;
  readonly operation: Operation;
  /** HTTP method (absent for non-HTTP callers). */
  readonly method?: string;
  readonly clientAddress: string;
  /** OpenTelemetry span of this request (one child span per stage); absent when tracing is off. */
  readonly span?: RequestSpan;
  /** Client certificate chain the TLS listener verified, if any. */
  readonly peer?: PeerTls;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Validated body; unknown fields are kept for upstreams that understand them. */
  body: Record<string, unknown>;
  readonly stream: boolean;
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
  principal?: Principal;
  model?: ResolvedModel;
  target?: RouteTarget;
  readonly usage: TokenUsage;
  readonly trail: StageDecision[];
  /** Undo actions registered by stages (quota reservations); run once when the request ends. */
  readonly cleanups: (() => void)[];
  /** Called per streamed chunk by the inspect-out / account stages; may end the stream with an error. */
  readonly chunkHooks: ((chunk: Record<string, unknown>, ctx: RequestContext) => void)[];
  /** DLP findings (type, where, count — never the value), in and out; for audit and policy. */
  readonly findings: InspectionFinding[];
  upstreamStatus?: number;
  /** Tokens left today in the tightest budget scope, read once by quota; account ends a stream that
   *  crosses it (absent: no budget applies or quota did not run). */
  tokensRemaining?: number;
  /** How much of the trail the pre-forward audit entry already carries. */
  trailRecorded?: number;
  /** Keyed hash (HMAC-SHA-256, the log's body key) of what the client received. */
  responseBodyHash?: string;
  firstTokenAt?: number;
  error?: AirlockError;
}

export function isModelEndpoint(op: Operation): op is Endpoint {
  return op === 'chat' || op === 'completions' || op === 'embeddings';
}

export interface InspectionFinding {
  readonly direction: 'input' | 'output';
  readonly type: string;
  readonly ruleId: string;
  readonly field: string;
  readonly action: string;
}

/** What a surface knows about an incoming request when it starts the pipeline. */
export interface RequestContextInit {
  readonly requestId: string;
  readonly operation: Operation;
  readonly request: {
    readonly method: string;
    readonly ip: string;
    readonly headers: Readonly<Record<string, string | string[] | undefined>>;
    readonly raw: { readonly socket: unknown };
  };
  readonly signal: AbortSignal;
  readonly body?: Record<string, unknown>;
  readonly stream?: boolean;
  readonly startedAt?: number;
  /** Starts the request's span (tracing on) from its trace context. */
  readonly span?: (trace: TraceContext, startedAt: number) => RequestSpan | undefined;
}

/** The one way surfaces build a RequestContext: ids, W3C trace context, peer certificate, empty trail. */
export function createRequestContext(init: RequestContextInit): RequestContext {
  const startedAt = init.startedAt ?? performance.now();
  const trace = traceFromHeader(init.request.headers.traceparent);
  const span = init.span?.(trace, startedAt);
  const peer = peerTlsOf(init.request.raw.socket);
  return {
    requestId: init.requestId,
    trace,
    startedAt,
    ...(span ? { span } : {}),
    operation: init.operation,
    method: init.request.method,
    clientAddress: init.request.ip,
    ...(peer ? { peer } : {}),
    headers: init.request.headers,
    body: init.body ?? {},
    stream: init.stream ?? false,
    signal: init.signal,
    usage: { promptTokens: 0, completionTokens: 0 },
    trail: [],
    cleanups: [],
    chunkHooks: [],
    findings: [],
  };
}
