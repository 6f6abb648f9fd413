// `apis:` — internal REST services airlock proxies at /api/<name>/… through the one pipeline (P10).
// Each service is described by an OpenAPI 3.0/3.1 document that is loaded and compiled once at
// start-up; the schema here only checks the shape of the declaration.
import { z } from 'zod';
import { durationField as duration, secretRefField as secretRef } from '../config/fields.ts';

/** Header names a service credential may not take: they would change how the request is routed. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'x-request-id',
  'traceparent',
]);

export const apiCredentialSchema = z
  .strictObject({
    secret: secretRef.describe('The credential, injected at the last hop (P5); never the client’s.'),
    header: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'an HTTP header name in lower case')
      .refine((h) => !RESERVED_HEADERS.has(h), 'a header airlock sets itself')
      .default('authorization')
      .describe('Header that carries the credential.'),
    prefix: z
      .string()
      .max(32)
      .default('Bearer ')
      .describe('Text before the secret in the header value ("" for a bare API key header).'),
  })
  .describe('Service credential airlock injects; the client’s own credential is never forwarded.');

export const apiTimeoutsSchema = z
  .strictObject({
    connect: duration.default('2s').describe('TCP/TLS connect timeout.'),
    firstByte: duration.default('30s').describe('Time to the response headers.'),
    idle: duration.default('30s').describe('Longest gap between two body chunks.'),
    total: duration.default('60s').describe('Whole-request deadline.'),
  })
  .prefault({});

export const apiServiceSchema = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]*$/,
        'lower-case letters, digits and - (it is a URL segment and a tool prefix)',
      )
      .describe('Service name: requests go to /api/<name>/…; MCP tools are <name>__<operationId>.'),
    baseUrl: z.url().describe('Base URL of the service; operation paths are appended to it.'),
    openapi: z
      .string()
      .min(1)
      .describe('Path (relative to the config file) of the OpenAPI 3.0 / 3.1 document, YAML or JSON.'),
    credential: apiCredentialSchema.optional(),
    timeouts: apiTimeoutsSchema,
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024)
      .describe('Largest response body airlock reads, inspects and returns; larger → 502.'),
    expose: z
      .strictObject({
        mcpTools: z
          .array(z.string().min(1))
          .default([])
          .describe('operationIds offered to agents as MCP tools (<name>__<operationId>).'),
      })
      .prefault({}),
  })
  .describe('An internal REST service behind airlock.');

export const apisConfigSchema = z
  .array(apiServiceSchema)
  .default([])
  .refine((list) => new Set(list.map((s) => s.name)).size === list.length, 'service names must be unique')
  .describe('Internal REST APIs proxied at /api/<name>/… with the same identity, policy, DLP and audit.');

export type ApiServiceConfig = z.output<typeof apiServiceSchema>;
export type ApiServiceConfigInput = z.input<typeof apiServiceSchema>;
export type ApisConfig = z.output<typeof apisConfigSchema>;
