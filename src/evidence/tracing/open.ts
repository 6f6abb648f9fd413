// Composition helper: build the OTLP exporter and the request tracer from validated config, or
// nothing when tracing is off (no endpoint). The caller closes `exporter` on shutdown.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { durationMs } from '../../config/duration.ts';
import type { Backoff } from '../exports/types.ts';
import type { TracingConfig } from './config.ts';
import { createOtlpTraceExporter, type OtlpTraceExporter } from './otlp-exporter.ts';
import { createRequestTracer, type RequestTracer } from './request-tracer.ts';

export interface OpenedTracing {
  readonly tracer: RequestTracer;
  readonly exporter: OtlpTraceExporter;
}

export function openTracing(
  config: TracingConfig,
  deps: {
    dataDir: string;
    version: string;
    backoff?: Backoff;
    log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
  },
): OpenedTracing | null {
  if (config.endpoint === undefined) return null;
  const ca =
    config.ca === undefined
      ? undefined
      : readFileSync(isAbsolute(config.ca) ? config.ca : join(deps.dataDir, config.ca));
  const exporter = createOtlpTraceExporter({
    endpoint: config.endpoint,
    maxQueue: config.maxQueue,
    maxBatch: config.maxBatch,
    intervalMs: durationMs(config.interval),
    timeoutMs: durationMs(config.timeout),
    version: deps.version,
    ...(ca !== undefined ? { ca } : {}),
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });
  return { tracer: createRequestTracer(exporter, { sampling: config.sampling }), exporter };
}
