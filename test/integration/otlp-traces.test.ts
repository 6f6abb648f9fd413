// OTLP/HTTP JSON trace export to a real collector stand-in (node:http on 127.0.0.1): one SERVER span
// per request with one INTERNAL child per pipeline stage, spec-exact JSON (hex ids, integer enums,
// decimal-string nanos), retry on 503 with the batch kept, 400 dropped and counted, and a collector
// that is down: spans queued to the bound, overflow counted, delivered once it is back.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, describe, test } from 'node:test';
import { createOtlpTraceExporter, type OtlpTraceExporter } from '../../src/evidence/tracing/otlp-exporter.ts';
import type { ExportTraceServiceRequest, OtlpSpan } from '../../src/evidence/tracing/otlp-json.ts';
import { createRequestTracer, NOOP_SPAN } from '../../src/evidence/tracing/request-tracer.ts';

interface Received {
  path: string;
  contentType: string;
  body: ExportTraceServiceRequest;
}

class Collector {
  readonly requests: Received[] = [];
  /** Status codes to answer with, in order; 200 once exhausted. */
  answers: number[] = [];
  server!: Server;
  private waiters: { n: number; resolve: () => void }[] = [];

  spans(): OtlpSpan[] {
    return this.requests.flatMap((r) =>
      r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)),
    );
  }

  waitForSpans(n: number): Promise<void> {
    if (this.spans().length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  async listen(port = 0): Promise<number> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.answers.shift() ?? 200;
        if (status === 200) {
          this.requests.push({
            path: req.url ?? '',
            contentType: req.headers['content-type'] ?? '',
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportTraceServiceRequest,
          });
        }
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 200 ? '{}' : '{"message":"no"}');
        const total = this.spans().length;
        this.waiters = this.waiters.filter((w) => {
          if (total < w.n) return true;
          w.resolve();
          return false;
        });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', () => resolve()));
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const STAGES = [
  'authenticate',
  'resolve',
  'authorize',
  'quota',
  'inspect-in',
  'obligations',
  'forward',
  'record',
];
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const GATEWAY_SPAN = '00f067aa0ba902b7';
const CALLER_SPAN = 'b7ad6b7169203331';
const backoff = { initialMs: 5, maxMs: 40 };

function exporter(
  port: number,
  over: Partial<Parameters<typeof createOtlpTraceExporter>[0]> = {},
): OtlpTraceExporter {
  return createOtlpTraceExporter({
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    maxQueue: 1000,
    maxBatch: 100,
    intervalMs: 10,
    timeoutMs: 2000,
    version: '0.1.0',
    backoff,
    ...over,
  });
}

/** One request through the stages; the quota stage denies when `deny` is set. */
function runRequest(
  tracer: ReturnType<typeof createRequestTracer>,
  traceId: string,
  spanId: string,
  deny = false,
) {
  const span = tracer.startRequest({
    traceId,
    spanId,
    parentSpanId: CALLER_SPAN,
    sampled: true,
    name: 'chat',
    start: performance.now(),
    attributes: { 'airlock.request_id': `req-${spanId}`, 'airlock.operation': 'chat' },
  });
  let error: unknown;
  for (const name of STAGES) {
    const t0 = performance.now();
    const failed = deny && name === 'quota' ? { code: 'rate_limited', status: 429 } : undefined;
    span.stage(name, t0, performance.now(), failed);
    if (failed) {
      error = failed;
      break;
    }
  }
  span.end({ error });
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe('OTLP trace export', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  test('one server span per request, one child per stage, spec-exact JSON', async () => {
    const col = new Collector();
    const port = await col.listen();
    const exp = exporter(port);
    cleanups.push(
      () => exp.close(),
      () => col.close(),
    );
    const tracer = createRequestTracer(exp, { sampling: 'always' });
    runRequest(tracer, TRACE, GATEWAY_SPAN);
    await exp.flush();
    await col.waitForSpans(1 + STAGES.length);

    const r = col.requests[0]!;
    assert.equal(r.path, '/v1/traces');
    assert.equal(r.contentType, 'application/json');
    const rs = r.body.resourceSpans[0]!;
    const attrs = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value]));
    assert.deepEqual(attrs['service.name'], { stringValue: 'airlock' });
    assert.equal(rs.scopeSpans[0]!.scope.name, 'airlock.pipeline');

    const spans = col.spans();
    assert.equal(spans.length, 1 + STAGES.length);
    const root = spans.find((s) => s.spanId === GATEWAY_SPAN)!;
    assert.equal(root.traceId, TRACE);
    assert.equal(root.parentSpanId, CALLER_SPAN);
    assert.equal(root.kind, 2, 'SPAN_KIND_SERVER as an integer');
    assert.equal(root.status, undefined, 'status unset on success');
    const children = spans.filter((s) => s !== root);
    assert.deepEqual(
      children.map((s) => s.name),
      STAGES,
    );
    const ids = new Set(spans.map((s) => s.spanId));
    assert.equal(ids.size, spans.length, 'unique span ids');
    for (const s of children) {
      assert.equal(s.traceId, TRACE);
      assert.equal(s.parentSpanId, GATEWAY_SPAN);
      assert.match(s.spanId, /^[0-9a-f]{16}$/);
      assert.equal(s.kind, 1, 'SPAN_KIND_INTERNAL');
      assert.match(s.startTimeUnixNano, /^\d{19}$/);
      assert.ok(BigInt(s.startTimeUnixNano) <= BigInt(s.endTimeUnixNano));
      assert.ok(BigInt(root.startTimeUnixNano) <= BigInt(s.startTimeUnixNano));
      const a = Object.fromEntries((s.attributes ?? []).map((kv) => [kv.key, kv.value]));
      assert.deepEqual(a['airlock.stage'], { stringValue: s.name });
      assert.deepEqual(a['airlock.outcome'], { stringValue: 'allow' });
    }
    // Wall-clock sanity: nanoseconds since the epoch, near now (not an offset from process start).
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const rootNs = BigInt(root.startTimeUnixNano);
    assert.ok(rootNs > nowNs - 3_600_000_000_000n && rootNs <= nowNs + 1_000_000_000n);
  });

  test('a denied request: the denying stage carries the code, later stages absent; 503 retried', async () => {
    const col = new Collector();
    col.answers = [503];
    const port = await col.listen();
    const exp = exporter(port);
    cleanups.push(
      () => exp.close(),
      () => col.close(),
    );
    const tracer = createRequestTracer(exp, { sampling: 'always' });
    runRequest(tracer, 'a'.repeat(32), '1111111111111111', true);
    await col.waitForSpans(5);
    const spans = col.spans();
    assert.deepEqual(
      spans.map((s) => s.name),
      ['chat', 'authenticate', 'resolve', 'authorize', 'quota'],
    );
    const quota = spans.find((s) => s.name === 'quota')!;
    const a = Object.fromEntries((quota.attributes ?? []).map((kv) => [kv.key, kv.value]));
    assert.deepEqual(a['airlock.outcome'], { stringValue: 'deny' });
    assert.deepEqual(a['airlock.error_code'], { stringValue: 'rate_limited' });
    assert.equal(quota.status, undefined, 'a denial is an answer, not an error');
    await until(() => exp.health().exported === 5); // the response is read after the collector saw the spans
    assert.equal(exp.health().dropped, 0);
    assert.equal(col.requests.length, 1, 'the 503 was retried once, delivered once');
  });

  test('errors set STATUS_CODE_ERROR; 400 drops the batch and counts it', async () => {
    const col = new Collector();
    col.answers = [400];
    const port = await col.listen();
    const exp = exporter(port);
    cleanups.push(
      () => exp.close(),
      () => col.close(),
    );
    const tracer = createRequestTracer(exp, { sampling: 'always' });
    const s1 = tracer.startRequest({ traceId: 'b'.repeat(32), spanId: '2222222222222222', name: 'chat' });
    s1.end({ error: new Error('boom') });
    await exp.flush();
    assert.equal(exp.health().dropped, 1);
    assert.match(exp.health().reason ?? '', /HTTP 400/);
    const s2 = tracer.startRequest({ traceId: 'c'.repeat(32), spanId: '3333333333333333', name: 'chat' });
    const t0 = performance.now();
    s2.stage('forward', t0, t0 + 1, { code: 'upstream_unavailable', status: 502 });
    s2.end({ error: { code: 'upstream_unavailable', status: 502 } });
    await exp.flush();
    await col.waitForSpans(2);
    const [root, forward] = col.spans();
    assert.deepEqual(root!.status, { code: 2, message: 'upstream_unavailable' });
    assert.deepEqual(forward!.status, { code: 2, message: 'upstream_unavailable' });
    assert.equal(exp.health().ok, true);
  });

  test('sampling parent: unsampled requests record nothing', () => {
    const seen: unknown[] = [];
    const tracer = createRequestTracer({ enqueue: (s) => seen.push(...s) }, { sampling: 'parent' });
    const span = tracer.startRequest({ traceId: TRACE, spanId: GATEWAY_SPAN, sampled: false, name: 'chat' });
    assert.equal(span, NOOP_SPAN);
    span.stage('authenticate', 0, 1);
    span.end();
    tracer.startRequest({ traceId: TRACE, spanId: GATEWAY_SPAN, sampled: true, name: 'chat' }).end();
    assert.equal(seen.length, 1);
  });

  test('collector down: bounded queue drops and counts, requests unaffected, delivered when back', async () => {
    const probe = new Collector();
    const port = await probe.listen();
    await probe.close();

    const exp = exporter(port, { maxQueue: 18, maxBatch: 50 });
    cleanups.push(() => exp.close());
    const tracer = createRequestTracer(exp, { sampling: 'always' });
    // 3 requests × 9 spans = 27 > 18: the third request's spans do not fit.
    for (let i = 0; i < 3; i++) runRequest(tracer, 'd'.repeat(32), `44444444444444${i}0`);
    assert.equal(exp.health().dropped, 9);
    await exp.flush();
    assert.match(exp.health().reason ?? '', /ECONNREFUSED|connect/i);
    assert.equal(exp.health().queued, 18, 'kept for retry');

    const col = new Collector();
    await col.listen(port);
    cleanups.push(() => col.close());
    await col.waitForSpans(18);
    await until(() => exp.health().ok);
    assert.equal(exp.health().exported, 18);
    assert.equal(exp.health().dropped, 9);
    const roots = col.spans().filter((s) => s.kind === 2);
    assert.deepEqual(
      roots.map((s) => s.spanId),
      ['4444444444444400', '4444444444444410'],
    );
  });
});
