// OTLP/HTTP JSON trace exporter (POST /v1/traces, Content-Type: application/json) to a collector
// inside the boundary. Hand-written and small: no OpenTelemetry SDK at run time. Finished spans
// wait in a bounded queue (overflow dropped and counted) and go out in batches of maxBatch or
// every interval, one request in flight. Per the OTLP spec: 429/502/503/504 and connection
// failures are retried with jittered exponential backoff (Retry-After honoured); any other
// 4xx/5xx drops the batch (counted); `partialSuccess.rejectedSpans` is counted as dropped.
import { hostname } from 'node:os';
import { Pool } from 'undici';
import { backoffDelay, createBoundedQueue, oneLine } from '../exports/queue.ts';
import { type Backoff, DEFAULT_BACKOFF, type ExportHealth } from '../exports/types.ts';
import {
  type AttributeValue,
  createClock,
  createSpanIdSource,
  encodeSpans,
  type SpanRecord,
} from './otlp-json.ts';

export interface OtlpTraceExporterOptions {
  /** Full URL of the traces endpoint, e.g. http://otel-collector.internal:4318/v1/traces */
  readonly endpoint: string;
  readonly maxQueue: number;
  readonly maxBatch: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** PEM CA for an https endpoint (the collector is verified, never skipped). */
  readonly ca?: string | Buffer;
  /** Resource attributes (service.name, service.version, host.name …). */
  readonly resource?: Readonly<Record<string, AttributeValue>>;
  readonly version: string;
  readonly backoff?: Backoff;
  readonly log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

export interface SpanSink {
  /** Enqueue finished spans (all or none of a request's spans). Non-blocking; never throws. */
  enqueue(spans: readonly SpanRecord[]): void;
}

export interface OtlpTraceExporter extends SpanSink {
  /** Sends everything queued now (one attempt per batch; retryable failures stay queued). */
  flush(): Promise<void>;
  /** Flushes once, then drops what is left (counted) and closes the connection pool. */
  close(): Promise<void>;
  health(): ExportHealth;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

export function createOtlpTraceExporter(opts: OtlpTraceExporterOptions): OtlpTraceExporter {
  const url = new URL(opts.endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('OTLP endpoint must be http(s)');
  const pool = new Pool(url.origin, {
    connections: 1,
    pipelining: 1,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connectTimeout: opts.timeoutMs,
    ...(opts.ca !== undefined ? { connect: { ca: opts.ca } } : {}),
  });
  const path = `${url.pathname}${url.search}`;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const resource = {
    'service.name': 'airlock',
    'service.version': opts.version,
    'host.name': hostname(),
    ...opts.resource,
  };
  const scope = { name: 'airlock.pipeline', version: opts.version };
  const clock = createClock();
  const newSpanId = createSpanIdSource();
  const queue = createBoundedQueue<SpanRecord>(opts.maxQueue);
  let sending: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let attempt = 0;
  let retryAt = 0;
  let failure: string | undefined;
  let exported = 0;
  let closed = false;
  let kickScheduled = false;

  function arm(delayMs: number): void {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      kick();
    }, delayMs);
    timer.unref();
  }

  function kick(): void {
    if (sending || queue.size === 0) return;
    if (Date.now() < retryAt) {
      arm(retryAt - Date.now());
      return;
    }
    sending = sendOne().finally(() => {
      sending = undefined;
      if (queue.size >= opts.maxBatch) kick();
      else if (queue.size > 0) arm(Math.max(opts.intervalMs, retryAt - Date.now()));
    });
  }

  /** One POST of up to maxBatch spans. Resolves, never rejects. */
  async function sendOne(): Promise<void> {
    const batch = queue.take(opts.maxBatch);
    const body = JSON.stringify(encodeSpans(batch, resource, scope, clock, newSpanId));
    let status = 0;
    let retryAfterMs: number | undefined;
    let rejected = 0;
    try {
      const res = await pool.request({
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      status = res.statusCode;
      const text = await res.body.text();
      const ra = Number(res.headers['retry-after']);
      if (Number.isFinite(ra) && ra >= 0) retryAfterMs = ra * 1000;
      if (status >= 200 && status < 300 && text.length > 0) {
        const parsed = JSON.parse(text) as { partialSuccess?: { rejectedSpans?: string | number } };
        rejected = Number(parsed.partialSuccess?.rejectedSpans ?? 0) || 0;
      }
    } catch (err) {
      // No status: the request never completed (refused, reset, timed out) — retry. With a status,
      // an unreadable body changes nothing: 2xx delivered, others are judged by their status.
      if (status === 0) return retry(batch, oneLine(err));
    }
    if (status >= 200 && status < 300) {
      if (failure !== undefined) opts.log?.('info', 'trace export recovered', { endpoint: opts.endpoint });
      failure = undefined;
      attempt = 0;
      retryAt = 0;
      exported += batch.length - rejected;
      queue.countDropped(rejected);
      return;
    }
    if (RETRYABLE.has(status)) return retry(batch, `HTTP ${status}`, retryAfterMs);
    failure = `HTTP ${status}: batch of ${batch.length} spans refused`;
    queue.countDropped(batch.length);
  }

  function retry(batch: SpanRecord[], reason: string, retryAfterMs?: number): void {
    if (failure === undefined)
      opts.log?.('warn', 'trace export failing', { endpoint: opts.endpoint, reason });
    failure = reason;
    retryAt = Date.now() + (retryAfterMs ?? backoffDelay(attempt++, backoff));
    queue.unshift(batch);
  }

  async function flush(): Promise<void> {
    if (sending) await sending;
    retryAt = 0;
    const rounds = Math.ceil(queue.size / opts.maxBatch);
    for (let i = 0; i < rounds && queue.size > 0; i++) {
      sending ??= sendOne().finally(() => {
        sending = undefined;
      });
      await sending;
      if (failure !== undefined) break;
    }
  }

  return {
    enqueue(spans) {
      if (closed) {
        queue.countDropped(spans.length);
        return;
      }
      for (const s of spans) queue.push(s);
      if (queue.size >= opts.maxBatch) {
        // Encoding and sending happen on a later turn of the event loop, never in the request's.
        if (!kickScheduled) {
          kickScheduled = true;
          setImmediate(() => {
            kickScheduled = false;
            kick();
          });
        }
      } else arm(opts.intervalMs);
    },
    flush,
    async close() {
      if (closed) return;
      await flush();
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      queue.countDropped(queue.take(queue.size).length);
      await pool.close().catch(() => {});
    },
    health() {
      return {
        ok: failure === undefined && !closed,
        ...(failure !== undefined ? { reason: failure } : closed ? { reason: 'closed' } : {}),
        dropped: queue.dropped,
        queued: queue.size,
        exported,
      };
    },
  };
}
