// Config of the audit exports (to mount as `audit.exports` next to the log's own settings). Strict:
// unknown fields are errors. Relative paths (files, TLS material) resolve against dataDir.
import { z } from 'zod';
import { FACILITIES, type FacilityName } from './rfc5424.ts';

const DURATION = /^\d+(ms|s|m|h|d)$/;
const duration = (def: string, what: string) =>
  z.string().regex(DURATION, 'a duration such as 500ms or 5s').default(def).describe(what);

const common = {
  name: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('Name in health and metrics; defaults to kind and destination.'),
  maxQueue: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe(
      'Entries held in memory while the sink is slow or down; beyond it entries are dropped and counted.',
    ),
};

const fileFields = {
  maxBytes: z
    .number()
    .int()
    .min(4096)
    .default(100 * 1024 * 1024)
    .describe('The live file is rotated before a line would take it past this size.'),
  maxFiles: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(10)
    .describe('Rotated files kept (path.1 … path.N, newest first); the oldest is overwritten.'),
  ...common,
};

export const jsonlExportSchema = z
  .strictObject({
    kind: z.literal('jsonl'),
    path: z
      .string()
      .min(1)
      .default('exports/audit.jsonl')
      .describe(
        'Live file (0600), relative to dataDir. Each line is the entry as in the log (RFC 8785 JSON).',
      ),
    ...fileFields,
  })
  .describe('Audit entries as JSON Lines files with size-based rotation.');

export const ocsfJsonlExportSchema = z
  .strictObject({
    kind: z.literal('ocsf-jsonl'),
    path: z
      .string()
      .min(1)
      .default('exports/audit.ocsf.jsonl')
      .describe('Live file (0600), relative to dataDir.'),
    ...fileFields,
  })
  .describe(
    'Audit entries as OCSF 1.5 events (API Activity, Authentication, Data Security Finding), JSON Lines.',
  );

const SD_NAME = /^[\x21-\x7e]{1,32}$/;

export const syslogExportSchema = z
  .strictObject({
    kind: z.literal('syslog'),
    transport: z
      .enum(['tcp', 'tls'])
      .default('tls')
      .describe('tls (RFC 5425, receiver verified against ca) or plain tcp (RFC 6587) inside the boundary.'),
    host: z
      .string()
      .min(1)
      .describe('Receiver host name or address; it must also be allowed by the egress policy.'),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .describe('Receiver port (6514 is the registered syslog-over-TLS port).'),
    format: z
      .enum(['cef', 'json'])
      .default('cef')
      .describe('Message payload: ArcSight CEF, or the entry as RFC 8785 JSON.'),
    ca: z
      .string()
      .optional()
      .describe('PEM file of the CA that issued the receiver certificate (required for tls).'),
    cert: z.string().optional().describe('PEM client certificate, when the receiver requires mutual TLS.'),
    key: z.string().optional().describe('PEM private key of the client certificate (0600).'),
    appName: z
      .string()
      .regex(
        /^[\x21-\x7e]{1,48}$/,
        'printable ASCII without spaces, at most 48 characters (RFC 5424 APP-NAME)',
      )
      .default('airlock')
      .describe('RFC 5424 APP-NAME.'),
    facility: z
      .enum(Object.keys(FACILITIES) as [FacilityName, ...FacilityName[]])
      .default('local0')
      .describe('RFC 5424 facility; severity follows the outcome (allow/info 6, deny 4, error 3).'),
    sdId: z
      .string()
      .regex(SD_NAME, 'printable ASCII without spaces, at most 32 characters')
      .refine((v) => !/[= \]"]/.test(v) && v.includes('@'), 'an SD-ID of the form name@<enterprise number>')
      .default('airlock@32473')
      .describe(
        "SD-ID of airlock's structured data. 32473 is the documentation number (RFC 5612): use your own.",
      ),
    connectTimeout: duration(
      '5s',
      'Connect (and TLS handshake) timeout; the connection is then retried with backoff.',
    ),
    closeTimeout: duration('2s', 'How long shutdown waits for queued entries to be written.'),
    ...common,
  })
  .superRefine((v, ctx) => {
    if (v.transport === 'tls' && v.ca === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['ca'],
        message: 'tls needs ca: the receiver is always verified against a configured CA (RFC 5425 §5.2)',
      });
    if ((v.cert === undefined) !== (v.key === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [v.cert === undefined ? 'cert' : 'key'],
        message: 'set both cert and key, or neither',
      });
    if (v.transport === 'tcp' && (v.ca ?? v.cert ?? v.key) !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['transport'],
        message: 'ca/cert/key are set: use transport tls',
      });
  })
  .describe('RFC 5424 syslog over TCP or TLS, octet-counted frames (RFC 6587 §3.4.1), CEF or JSON payload.');

export const exportConfigSchema = z.discriminatedUnion('kind', [
  jsonlExportSchema,
  ocsfJsonlExportSchema,
  syslogExportSchema,
]);

export const exportsConfigSchema = z
  .array(exportConfigSchema)
  .default([])
  .describe(
    "Derived copies of committed audit entries for the site's tools; the log stays the source of truth.",
  );

export type ExportConfig = z.infer<typeof exportConfigSchema>;
export type ExportsConfig = z.infer<typeof exportsConfigSchema>;
export type JsonlExportConfig = z.infer<typeof jsonlExportSchema>;
export type OcsfJsonlExportConfig = z.infer<typeof ocsfJsonlExportSchema>;
export type SyslogExportConfig = z.infer<typeof syslogExportSchema>;
