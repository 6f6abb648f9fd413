// Config of OpenTelemetry tracing (to mount as `tracing:` at the top level). Strict: unknown fields
// are errors. Off unless an endpoint is set; the endpoint must also be allowed by the egress policy.
import { z } from 'zod';

const duration = (def: string, what: string) =>
  z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms or 5s')
    .default(def)
    .describe(what);

export const tracingConfigSchema = z
  .strictObject({
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'OTLP/HTTP traces URL of a collector inside the boundary, e.g. http://otel.internal:4318/v1/traces.',
      ),
    ca: z.string().optional().describe('PEM CA file to verify an https collector, relative to dataDir.'),
    sampling: z
      .enum(['always', 'parent'])
      .default('always')
      .describe('always: every request; parent: only requests whose traceparent is sampled.'),
    maxQueue: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(20_000)
      .describe('Spans held while the collector is slow or down; beyond it spans are dropped and counted.'),
    maxBatch: z.number().int().min(1).max(10_000).default(512).describe('Most spans in one export request.'),
    interval: duration('1s', 'Queued spans are sent at least this often.'),
    timeout: duration('5s', 'Connect and response timeout of one export request.'),
  })
  .prefault({})
  .describe('OpenTelemetry traces (OTLP/HTTP JSON): one span per request and one per pipeline stage.');

export type TracingConfig = z.infer<typeof tracingConfigSchema>;
