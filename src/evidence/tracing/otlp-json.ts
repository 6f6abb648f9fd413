// OTLP/JSON encoding of spans (opentelemetry-proto docs/specification.md, "JSON Protobuf Encoding"):
// the proto3 JSON mapping of ExportTraceServiceRequest with OTLP's deviations — traceId / spanId are
// hex strings (not base64), enums are integers, keys are lowerCamelCase, and 64-bit integers
// (startTimeUnixNano, intValue) are decimal strings. Fields at their default value are omitted.
import { randomBytes } from 'node:crypto';

/** opentelemetry.proto.trace.v1.Span.SpanKind */
export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;
/** opentelemetry.proto.trace.v1.Status.StatusCode */
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

export type AttributeValue = string | number | boolean;

/** A finished span as the tracer records it: cheap to build on the request path. Times are
 *  performance.now() milliseconds; ids of stage spans are assigned when the batch is encoded. */
export interface SpanRecord {
  readonly traceId: string;
  /** Absent for stage spans: a random id is drawn at encoding time, off the request path. */
  spanId?: string;
  /** Resolved at encoding time when `parent` is set. */
  parentSpanId?: string;
  /** The parent span (its id may itself be drawn at encoding time). */
  readonly parent?: { spanId?: string };
  readonly name: string;
  readonly kind: number;
  readonly start: number;
  readonly end: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly status: { readonly code: number; readonly message?: string };
}

export interface OtlpKeyValue {
  key: string;
  value: { stringValue: string } | { boolValue: boolean } | { intValue: string } | { doubleValue: number };
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpKeyValue[];
  status?: { code?: number; message?: string };
}

export interface ExportTraceServiceRequest {
  resourceSpans: {
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: { scope: { name: string; version?: string }; spans: OtlpSpan[] }[];
  }[];
}

export function keyValues(attrs: Readonly<Record<string, AttributeValue>>): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  for (const [key, v] of Object.entries(attrs)) {
    if (typeof v === 'string') out.push({ key, value: { stringValue: v } });
    else if (typeof v === 'boolean') out.push({ key, value: { boolValue: v } });
    else if (Number.isSafeInteger(v)) out.push({ key, value: { intValue: String(v) } });
    else if (Number.isFinite(v)) out.push({ key, value: { doubleValue: v } });
  }
  return out;
}

/** performance.now() milliseconds → Unix epoch nanoseconds as a decimal string, without losing
 *  precision to float64 (epoch nanoseconds need 61 bits). */
export function createClock(timeOrigin = performance.timeOrigin): (perfMs: number) => string {
  const originNs = BigInt(Math.round(timeOrigin * 1000)) * 1000n;
  return (perfMs) => (originNs + BigInt(Math.round(perfMs * 1e6))).toString();
}

/** Random non-zero 64-bit span ids, drawn from a refilled pool (one syscall per 512 ids). */
export function createSpanIdSource(): () => string {
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    for (;;) {
      if (at + 8 > pool.length) {
        pool = randomBytes(8 * 512);
        at = 0;
      }
      const id = pool.toString('hex', at, at + 8);
      at += 8;
      if (id !== '0000000000000000') return id; // W3C: an all-zero span id is invalid
    }
  };
}

export function encodeSpans(
  spans: readonly SpanRecord[],
  resource: Readonly<Record<string, AttributeValue>>,
  scope: { name: string; version?: string },
  clock: (perfMs: number) => string,
  newSpanId: () => string,
): ExportTraceServiceRequest {
  const out: OtlpSpan[] = [];
  for (const s of spans) {
    s.spanId ??= newSpanId();
    if (s.parent) s.parent.spanId ??= newSpanId();
    const parentSpanId = s.parent?.spanId ?? s.parentSpanId;
    const attributes = keyValues(s.attributes);
    out.push({
      traceId: s.traceId,
      spanId: s.spanId,
      ...(parentSpanId ? { parentSpanId } : {}),
      name: s.name,
      kind: s.kind,
      startTimeUnixNano: clock(s.start),
      endTimeUnixNano: clock(Math.max(s.start, s.end)),
      ...(attributes.length > 0 ? { attributes } : {}),
      ...(s.status.code !== STATUS_CODE.unset
        ? { status: { code: s.status.code, ...(s.status.message ? { message: s.status.message } : {}) } }
        : {}),
    });
  }
  return {
    resourceSpans: [{ resource: { attributes: keyValues(resource) }, scopeSpans: [{ scope, spans: out }] }],
  };
}
