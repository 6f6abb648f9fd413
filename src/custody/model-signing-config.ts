// Pinned trust for OpenSSF model-signing bundles (custody.modelSigning), validated with the rest of
// the custody section; parsed into key objects and certificates once by parseModelSigningTrust.
import { isAbsolute } from 'node:path';
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
    sigstore: z
      .strictObject({
        trustedRootPath: z
          .string()
          .refine(isAbsolute, 'an absolute path')
          .describe(
            'Absolute path of the pinned Sigstore trusted_root.json (Fulcio CAs, Rekor log keys, CT logs): your private Sigstore, or a copy of the public one carried in. Read once at start; never fetched or refreshed.',
          ),
        identities: z
          .array(
            z.strictObject({
              subject: z.string().min(1).describe('Exact certificate subject (email or URI SAN).'),
              issuer: z.string().min(1).describe('Exact OIDC issuer Fulcio recorded in the certificate.'),
            }),
          )
          .min(1)
          .describe(
            'Signers accepted for keyless bundles; exact matches only. Recorded as `signedBy: sigstore:<subject>`.',
          ),
        ctLogThreshold: z
          .number()
          .int()
          .min(0)
          .default(1)
          .describe(
            'Signed certificate timestamps required in the Fulcio certificate (0 for a private Fulcio without a CT log).',
          ),
      })
      .optional()
      .describe(
        'Sigstore keyless bundles (Fulcio certificate + Rekor entry): verified offline, the Rekor inclusion proof and signed entry timestamp included, the certificate checked at the log time.',
      ),
  })
  .prefault({});
