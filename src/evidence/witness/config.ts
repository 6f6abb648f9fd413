// Config schemas of witnessing. `witnessConfigSchema` is the witness process's own file
// (`airlock witness --config WITNESS.yaml`); `witnessingConfigSchema` is the gateway side (proposed
// mount: `audit.witnessing`), naming the witnesses a log submits to and the k-of-n it requires.
// Strict: unknown fields are errors. Relative paths resolve against the config file's folder.
import { z } from 'zod';
import { parseVkey } from '../note/signed-note.ts';
import { parseCosignerVkey } from './cosignature.ts';

const validates = (parse: (s: string) => unknown) => (s: string) => {
  try {
    parse(s);
    return true;
  } catch {
    return false;
  }
};

const logVkey = z
  .string()
  .refine(
    validates(parseVkey),
    'a log verifier key name+keyid+base64(0x01||pubkey), e.g. from verifier.vkey',
  );
const witnessVkey = z
  .string()
  .refine(
    validates(parseCosignerVkey),
    'a witness key name+keyid+base64(0x04||pubkey), from `airlock witness init`',
  );

export const witnessConfigSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[^\s+]+$/u, 'a name without spaces or "+", e.g. witness.example.org/w1')
    .describe('Witness key name, written on every cosignature line. Unique per witness.'),
  listen: z
    .strictObject({
      host: z.string().default('127.0.0.1').describe('Address to listen on.'),
      port: z.number().int().min(0).max(65535).default(7380).describe('TCP port (0 picks a free one).'),
      prefix: z
        .string()
        .regex(/^(\/[^\s/?#]+)*$/, 'empty or a path such as /witness')
        .default('')
        .describe('Submission prefix: the witness answers POST <prefix>/add-checkpoint.'),
    })
    .prefault({}),
  key: z.string().default('witness.key').describe('Ed25519 witness key file (0600, created on first start).'),
  state: z
    .string()
    .default('witness.db')
    .describe('SQLite file holding the latest cosigned checkpoint per log.'),
  logs: z
    .array(
      z.strictObject({ vkey: logVkey.describe('Verifier key of a log to witness; its name is the origin.') }),
    )
    .min(1)
    .describe('Logs this witness cosigns for. Several keys for one origin are all accepted (rotation).'),
});

export type WitnessConfig = z.infer<typeof witnessConfigSchema>;

export const witnessingConfigSchema = z
  .strictObject({
    witnesses: z
      .array(
        z.strictObject({
          url: z.url({ protocol: /^https?$/ }).describe('Submission prefix URL (POST <url>/add-checkpoint).'),
          vkey: witnessVkey.describe('The witness public key, obtained out of band.'),
        }),
      )
      .default([])
      .describe('Witnesses each new checkpoint is submitted to.'),
    k: z.number().int().min(1).default(1).describe('Cosignatures a published checkpoint needs (k of n).'),
    interval: z
      .string()
      .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 10s')
      .default('10s')
      .describe('How often the latest checkpoint is offered to the witnesses.'),
    timeout: z
      .string()
      .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 5s')
      .default('5s')
      .describe('Per-witness request timeout.'),
    dir: z
      .string()
      .default('audit-cosigned')
      .describe('Folder (relative to dataDir) where cosigned checkpoints are stored as <size>.note.'),
  })
  .refine((w) => w.witnesses.length === 0 || w.k <= w.witnesses.length, {
    message: 'k cannot exceed the number of witnesses',
    path: ['k'],
  })
  .describe('Witness cosigning of audit checkpoints (c2sp.org/tlog-witness).');

export type WitnessingConfig = z.infer<typeof witnessingConfigSchema>;
