// Model custody configuration (zod, strict). Validated once; keys are parsed at start-up.
import { z } from 'zod';

export const trustedKeySchema = z.strictObject({
  name: z.string().min(1).describe('Name recorded as `signedBy` on every version this key verified.'),
  publicKey: z
    .string()
    .min(1)
    .describe('Ed25519 public key: base64 of the 32 raw bytes, or a PEM SubjectPublicKeyInfo block.'),
});

export const custodyConfigSchema = z
  .strictObject({
    trustedKeys: z
      .array(trustedKeySchema)
      .default([])
      .describe('Keys whose Ed25519 signature over a model manifest makes an import acceptable.'),
    allowUnsigned: z
      .boolean()
      .default(false)
      .describe('Accept imports without a manifest signature. Off by default: an unsigned model is refused.'),
    enforce: z
      .boolean()
      .default(true)
      .describe('Refuse to load or route to artefacts that are not approved or active in the inventory.'),
  })
  .prefault({});

export type CustodyConfig = z.infer<typeof custodyConfigSchema>;
