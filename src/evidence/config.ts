// Config of the audit log (mounted by the lead as `audit:` in src/config/schema.ts). Strict: unknown
// fields are errors. Relative paths resolve against dataDir.
import { z } from 'zod';
import { exportsConfigSchema } from './exports/config.ts';
import { witnessingConfigSchema } from './witness/config.ts';

export const auditConfigSchema = z
  .strictObject({
    driver: z
      .enum(['sqlite', 'postgres'])
      .default('sqlite')
      .describe('sqlite: its own file in dataDir (single node); postgres: audit_ tables shared by replicas.'),
    path: z
      .string()
      .default('audit.db')
      .describe('SQLite database file (driver sqlite), relative to dataDir.'),
    url: z
      .string()
      .optional()
      .describe('postgres:// URL (driver postgres). Defaults to store.url when the store is PostgreSQL.'),
    origin: z
      .string()
      .regex(/^[^\s+]+$/u, 'a name without spaces or "+", e.g. example.com/airlock-audit')
      .default('airlock.local/audit')
      .describe('Log origin: the first checkpoint line and the signing key name. Make it unique per log.'),
    signingKey: z
      .string()
      .default('secrets/audit-signing.key')
      .describe('Ed25519 checkpoint signing key file (0600, created on first start), relative to dataDir.'),
    bodyHashKey: z
      .string()
      .default('secrets/audit-body.key')
      .describe('HMAC key for hashBody() digests of prompts and responses (0600), relative to dataDir.'),
    maxBatch: z.number().int().min(1).max(4096).default(256).describe('Most entries in one group commit.'),
    checkpointInterval: z
      .string()
      .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms or 1s')
      .default('1s')
      .describe('A signed checkpoint is stored at most this long after the last entry.'),
    witnessing: witnessingConfigSchema.prefault({}),
    exports: exportsConfigSchema,
  })
  .prefault({})
  .describe('Tamper-evident audit log (RFC 6962 Merkle tree, C2SP signed checkpoints).');

export type AuditConfig = z.infer<typeof auditConfigSchema>;
