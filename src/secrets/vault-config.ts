// Vault settings (STYLE 3: the schema sits next to the handler; the lead mounts it at `vault:` in the
// config schema). Defaults need nothing: a random master key file is created on first use.
import { z } from 'zod';
import { ARGON2_MIN } from './master-key.ts';

export const vaultConfigSchema = z
  .strictObject({
    masterKey: z
      .discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('file'),
          path: z
            .string()
            .default('secrets/master.key')
            .describe(
              '32-byte key file (0600), relative to dataDir; created on first use when the vault is empty.',
            ),
        }),
        z.strictObject({
          kind: z.literal('passphrase'),
          env: z
            .string()
            .regex(/^[A-Z_][A-Z0-9_]*$/)
            .default('AIRLOCK_VAULT_PASSPHRASE')
            .describe('Environment variable holding the passphrase.'),
          fd: z
            .number()
            .int()
            .min(3)
            .optional()
            .describe('Read the passphrase from this inherited file descriptor instead (to EOF).'),
          kdf: z
            .strictObject({
              memoryKiB: z.number().int().min(ARGON2_MIN.memory).default(65_536),
              passes: z.number().int().min(ARGON2_MIN.passes).default(3),
              parallelism: z.number().int().min(1).max(16).default(1),
            })
            .prefault({})
            .describe(
              'argon2id parameters for a new vault; an existing vault keeps the ones stored with it.',
            ),
        }),
      ])
      .prefault({ kind: 'file' })
      .describe('Where the vault master key comes from; it never lives in the database.'),
    refreshInterval: z
      .string()
      .regex(/^\d+(ms|s|m|h|d)$/)
      .default('30s')
      .describe('How often the gateway reloads vault secrets rotated by another process.'),
  })
  .prefault({})
  .describe('Encrypted secret vault (envelope encryption, AES-256-GCM).');

export type VaultConfig = z.output<typeof vaultConfigSchema>;
