// Pinned trust for OpenSSF model-signing bundles (custody.modelSigning), validated with the rest of
// the custody section; parsed into key objects and certificates once by parseModelSigningTrust.
import { z } from 'zod';

export const modelSigningConfigSchema = z
  .strictObject({
    publicKeys: z
      .array(
        z.strictObject({
          name: z.string().min(1).describe('Recorded as `signedBy: key:<name>`.'),
          publicKey: z
            .string()
            .min(1)
            .describe(
              'PEM SubjectPublicKeyInfo: EC P-256/P-384/P-521 or Ed25519 (model_signing `key` method).',
            ),
        }),
      )
      .default([])
      .describe('Public keys a model-signing bundle (`verificationMaterial.publicKey`) may be signed with.'),
    certificateAuthorities: z
      .array(
        z.strictObject({
          name: z.string().min(1).describe('Recorded as `signedBy: ca:<name>:<signer CN>`.'),
          certificate: z.string().min(1).describe('PEM CA certificate (a root or an intermediate you pin).'),
        }),
      )
      .default([])
      .describe(
        'CAs a model-signing certificate chain must lead to (model_signing `certificate` method). The signing certificate needs extendedKeyUsage codeSigning and must be valid at import time.',
      ),
  })
  .prefault({});
