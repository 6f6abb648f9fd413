// The model manifest and its Ed25519 detached signature. The signature covers the manifest file's
// exact bytes (no re-serialisation, so nothing can differ between signer and verifier), and the
// manifest names every file with its SHA-256: one signature binds every byte of the model.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { AirlockError } from '../errors.ts';
import { riskTiers } from './types.ts';

export const MANIFEST_NAME = 'airlock-model.json';
export const SIGNATURE_SUFFIX = '.sig';
export const MANIFEST_FORMAT = 'airlock-model-manifest/v1';

const safePath = z
  .string()
  .min(1)
  .refine(
    (p) =>
      !p.startsWith('/') &&
      !p.includes('\\') &&
      p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'),
    'a relative path without . or .. segments',
  );

export const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits, . _ : / -'),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits, . _ + -'),
  files: z
    .array(
      z.strictObject({
        path: safePath,
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        size: z.number().int().min(0),
      }),
    )
    .min(1),
  metadata: z
    .strictObject({
      format: z.string().optional(),
      owner: z.string().default('unknown'),
      licence: z.string().default('unknown'),
      source: z.string().default('unknown'),
      intendedUse: z.string().default(''),
      riskTier: z.enum(riskTiers).default('limited'),
    })
    .prefault({}),
});

export type ModelManifest = z.infer<typeof manifestSchema>;

export function parseManifest(bytes: Buffer, source: string): ModelManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AirlockError('model_import_refused', { detail: `${source}: manifest is not valid JSON` });
  }
  const parsed = manifestSchema.safeParse(doc);
  if (!parsed.success)
    throw new AirlockError('model_import_refused', {
      detail: `${source}: invalid manifest: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    });
  const seen = new Set<string>();
  for (const f of parsed.data.files) {
    if (seen.has(f.path))
      throw new AirlockError('model_import_refused', { detail: `${source}: file ${f.path} listed twice` });
    seen.add(f.path);
  }
  return parsed.data;
}

export interface TrustedKey {
  readonly name: string;
  readonly key: KeyObject;
}

/** Parses an Ed25519 public key given as base64 of 32 raw bytes or as PEM (SPKI). */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  const key = t.startsWith('-----BEGIN')
    ? createPublicKey(t)
    : createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(t, 'base64').toString('base64url') },
        format: 'jwk',
      });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  return key;
}

/** Parses the configured trusted keys once at start-up; a bad key stops start-up naming it. */
export function parseTrustedKeys(keys: readonly { name: string; publicKey: string }[]): TrustedKey[] {
  return keys.map((k, i) => {
    try {
      return { name: k.name, key: parsePublicKey(k.publicKey) };
    } catch (err) {
      throw new AirlockError('config_invalid', {
        detail: `custody.trustedKeys.${i} (${k.name}): not an Ed25519 public key (${(err as Error).message})`,
      });
    }
  });
}

/** Reads an Ed25519 private key: PEM (PKCS#8) or base64 of the 32-byte seed. */
export function parsePrivateKey(text: string): KeyObject {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return createPrivateKey(t);
  const seed = Buffer.from(t, 'base64');
  if (seed.length !== 32) throw new Error('expected PEM or base64 of a 32-byte Ed25519 seed');
  // PKCS#8 prefix for Ed25519 followed by the seed (RFC 8410).
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

export function signManifest(bytes: Buffer, key: KeyObject): string {
  return sign(null, bytes, key).toString('base64');
}

/** The name of the trusted key whose signature verifies, or undefined. */
export function verifyManifest(
  bytes: Buffer,
  signature: string,
  keys: readonly TrustedKey[],
): string | undefined {
  const sig = Buffer.from(signature.trim(), 'base64');
  if (sig.length !== 64) return undefined;
  for (const k of keys) if (verify(null, bytes, k.key, sig)) return k.name;
  return undefined;
}
