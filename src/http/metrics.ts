// Prometheus metrics for one gateway instance. A registry per gateway (no prom-client default
// registry, no module-level state) so several gateways can run in one test process.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestContext } from './context.ts';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly denials: Counter<'code'>;
  readonly upstreamHealthy: Gauge<'upstream'>;
  readonly egressDenied: Counter<'kind'>;
  /** Privilege that must be watched (P8): open and unreviewed break-glass grants, pending approvals. */
  readonly privilege: Gauge<'kind'>;
  observeRequest(ctx: RequestContext, status: number): void;
  observeFirstToken(ctx: RequestContext): void;
}

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'airlock_requests_total',
    help: 'Requests by operation, model and status.',
    labelNames: ['operation', 'model', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'airlock_request_duration_seconds',
    help: 'Whole-request latency.',
    labelNames: ['operation', 'stream'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const ttft = new Histogram({
    name: 'airlock_time_to_first_token_seconds',
    help: 'Time to the first streamed chunk.',
    labelNames: ['model'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'airlock_tokens_total',
    help: 'Tokens by model and kind.',
    labelNames: ['model', 'kind'],
    registers: [registry],
  });
  const upstreamLatency = new Histogram({
    name: 'airlock_upstream_duration_seconds',
    help: 'Upstream call latency by upstream.',
    labelNames: ['upstream'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const denials = new Counter({
    name: 'airlock_denials_total',
    help: 'Requests refused, by stable error code.',
    labelNames: ['code'],
    registers: [registry],
  });
  const upstreamHealthy = new Gauge({
    name: 'airlock_upstream_healthy',
    help: '1 when the upstream passes health checks.',
    labelNames: ['upstream'],
    registers: [registry],
  });
  const privilege = new Gauge({
    name: 'airlock_privilege_open',
    help: 'Break-glass grants open or awaiting review, and approval requests pending.',
    labelNames: ['kind'],
    registers: [registry],
  });
  const egressDenied = new Counter({
    name: 'airlock_egress_denied_total',
    help: 'Outbound connections refused by the egress guard.',
    labelNames: ['kind'],
    registers: [registry],
  });
  return {
    registry,
    denials,
    upstreamHealthy,
    egressDenied,
    privilege,
    observeRequest(ctx, status) {
      const model = ctx.model?.alias ?? '';
      const seconds = (performance.now() - ctx.startedAt) / 1000;
      requests.inc({ operation: ctx.operation, model, status: String(status) });
      latency.observe({ operation: ctx.operation, stream: String(ctx.stream) }, seconds);
      if (ctx.target) upstreamLatency.observe({ upstream: ctx.target.upstream }, seconds);
      if (ctx.usage.promptTokens) tokens.inc({ model, kind: 'prompt' }, ctx.usage.promptTokens);
      if (ctx.usage.completionTokens) tokens.inc({ model, kind: 'completion' }, ctx.usage.completionTokens);
    },
    observeFirstToken(ctx) {
      ttft.observe({ model: ctx.model?.alias ?? '' }, (performance.now() - ctx.startedAt) / 1000);
    },
  };
}
