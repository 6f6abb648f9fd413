// W3C Trace Context (traceparent, https://www.w3.org/TR/trace-context/ §3.2): continue the caller's
// trace when the header is valid, else start one. The gateway's own span id is what goes upstream.
import { randomFillSync } from 'node:crypto';
import type { RequestSpan, RequestTracer } from '../evidence/tracing/request-tracer.ts';
import type { TraceContext } from './context.ts';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Random ids from a pooled CSPRNG buffer: one randomFillSync per 170 requests instead of two calls per
 *  request (the ids must be unpredictable, §3.2.2.3 and §3.2.2.4; each byte is used once). */
function createIdSource(poolBytes = 4096): (bytes: number) => string {
  const pool = Buffer.allocUnsafe(poolBytes);
  let at = poolBytes;
  return (bytes) => {
    if (at + bytes > poolBytes) {
      randomFillSync(pool);
      at = 0;
    }
    const id = pool.toString('hex', at, at + bytes);
    at += bytes;
    return id;
  };
}

const randomHex = createIdSource();

export function traceFromHeader(header: string | string[] | undefined): TraceContext {
  const spanId = randomHex(8);
  const m = typeof header === 'string' ? TRACEPARENT.exec(header.trim()) : null;
  if (m && m[1] !== ZERO_TRACE && m[2] !== ZERO_SPAN) {
    return { traceId: m[1]!, spanId, parentSpanId: m[2]!, sampled: (Number.parseInt(m[3]!, 16) & 1) === 1 };
  }
  return { traceId: randomHex(16), spanId, sampled: false };
}

/** The request's span when tracing is on: the gateway's span id is the one sent upstream. */
export function startSpan(
  tracer: RequestTracer | undefined,
  trace: TraceContext,
  requestId: string,
  operation: string,
  start: number,
): RequestSpan | undefined {
  return tracer?.startRequest({
    traceId: trace.traceId,
    spanId: trace.spanId,
    ...(trace.parentSpanId ? { parentSpanId: trace.parentSpanId } : {}),
    sampled: trace.sampled,
    name: operation,
    start,
    attributes: { 'airlock.request_id': requestId, 'airlock.operation': operation },
  });
}
