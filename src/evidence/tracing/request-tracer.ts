// Request tracing: one SERVER span per request (its id is the gateway span id already sent upstream
// in traceparent, so upstream spans hang under it) and one INTERNAL child span per pipeline stage.
// On the request path this only pushes small records; ids, encoding and I/O happen in the exporter's
// batch, off the request path. A span that does not fit the exporter's queue is dropped and counted.

import type { SpanSink } from './otlp-exporter.ts';
import { type AttributeValue, SPAN_KIND, type SpanRecord, STATUS_CODE } from './otlp-json.ts';

export interface StartRequest {
  /** W3C trace id (32 hex). */
  readonly traceId: string;
  /** The gateway's span id for this request (16 hex) — the id sent upstream as parent. */
  readonly spanId: string;
  /** The caller's span id from an incoming traceparent, if any. */
  readonly parentSpanId?: string;
  /** The caller's sampled flag; used when sampling is `parent`. */
  readonly sampled?: boolean;
  /** Span name, e.g. `POST /v1/chat/completions` or `chat`. */
  readonly name: string;
  /** performance.now() at receive; defaults to now. */
  readonly start?: number;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** How a stage or request ended. A thrown error with `code` and `status` (AirlockError) maps to
 *  deny (status < 500) or error; anything else thrown is an error with code `internal_error`. */
export interface SpanEnd {
  readonly error?: unknown;
  /** performance.now() at the end; defaults to now. */
  readonly end?: number;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface RequestSpan {
  /** false when the request is not sampled: every call is then a no-op. */
  readonly recording: boolean;
  /** Records one finished stage (performance.now() times). */
  stage(
    name: string,
    start: number,
    end: number,
    error?: unknown,
    attributes?: Readonly<Record<string, AttributeValue>>,
  ): void;
  setAttribute(key: string, value: AttributeValue): void;
  /** Ends the request span and hands it and its stage spans to the exporter. Idempotent. */
  end(result?: SpanEnd): void;
}

export interface RequestTracer {
  startRequest(init: StartRequest): RequestSpan;
}

export const NOOP_SPAN: RequestSpan = {
  recording: false,
  stage() {},
  setAttribute() {},
  end() {},
};

export interface RequestTracerOptions {
  /** always: trace every request; parent: only when the caller's traceparent is sampled. */
  readonly sampling: 'always' | 'parent';
}

function outcomeOf(error: unknown): { outcome: 'allow' | 'deny' | 'error'; code?: string } {
  if (error === undefined || error === null) return { outcome: 'allow' };
  const e = error as { code?: unknown; status?: unknown };
  if (typeof e.code === 'string' && typeof e.status === 'number')
    return { outcome: e.status < 500 ? 'deny' : 'error', code: e.code };
  return { outcome: 'error', code: 'internal_error' };
}

/** OTel semantics: a denial is an expected answer (status unset); only errors set ERROR. */
function statusOf(o: { outcome: string; code?: string }): SpanRecord['status'] {
  return o.outcome === 'error'
    ? { code: STATUS_CODE.error, ...(o.code ? { message: o.code } : {}) }
    : { code: STATUS_CODE.unset };
}

export function createRequestTracer(sink: SpanSink, opts: RequestTracerOptions): RequestTracer {
  return {
    startRequest(init) {
      if (opts.sampling === 'parent' && init.sampled !== true) return NOOP_SPAN;
      const start = init.start ?? performance.now();
      const attributes: Record<string, AttributeValue> = { ...init.attributes };
      const stages: SpanRecord[] = [];
      let ended = false;
      // The request span's record is built at end(); stage spans point at this holder as parent.
      const parent = { spanId: init.spanId };
      return {
        recording: true,
        stage(name, stageStart, stageEnd, error, attrs) {
          if (ended) return;
          const o = outcomeOf(error);
          stages.push({
            traceId: init.traceId,
            parent,
            name,
            kind: SPAN_KIND.internal,
            start: stageStart,
            end: stageEnd,
            attributes: {
              'airlock.stage': name,
              'airlock.outcome': o.outcome,
              ...(o.code ? { 'airlock.error_code': o.code } : {}),
              ...attrs,
            },
            status: statusOf(o),
          });
        },
        setAttribute(key, value) {
          attributes[key] = value;
        },
        end(result = {}) {
          if (ended) return;
          ended = true;
          const o = outcomeOf(result.error);
          const span: SpanRecord = {
            traceId: init.traceId,
            spanId: init.spanId,
            ...(init.parentSpanId ? { parentSpanId: init.parentSpanId } : {}),
            name: init.name,
            kind: SPAN_KIND.server,
            start,
            end: result.end ?? performance.now(),
            attributes: {
              ...attributes,
              ...result.attributes,
              'airlock.outcome': o.outcome,
              ...(o.code ? { 'airlock.error_code': o.code } : {}),
            },
            status: statusOf(o),
          };
          sink.enqueue([span, ...stages]);
        },
      };
    },
  };
}
