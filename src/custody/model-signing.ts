// OpenSSF model signing (github.com/sigstore/model-transparency, format v1.0), verified offline.
// A Sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json) carries a DSSE envelope whose
// payload is an in-toto Statement v1 with predicate type https://model_signing/signature/v1.0: one
// subject (the model name and a root digest) and predicate.resources listing every file with its
// SHA-256. The root digest is SHA-256 over the resources' raw digests in order, so the subject binds
// the whole list. The signer is verified against trust pinned in config: a public key, or an X.509
// chain to a pinned CA (see x509-chain.ts). Nothing here touches the network.
import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { AirlockError } from '../errors.ts';
import { unsupportedKey, verifyDsse } from './dsse.ts';
import {
  loadSigstoreTrust,
  type SigstoreIdentity,
  type SigstoreTrust,
  verifyKeylessBundle,
} from './sigstore-keyless.ts';
import { type TrustAnchor, validateChain } from './x509-chain.ts';

export const BUNDLE_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.bundle.v0.3+json',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
] as const;
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const MODEL_SIGNING_PREDICATE = 'https://model_signing/signature/v1.0';
/** The signature file name model_signing writes next to a model. */
export const MODEL_SIGNATURE_NAME = 'model.sig';

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const bundleSchema = z.object({
  mediaType: z.enum(BUNDLE_MEDIA_TYPES),
  verificationMaterial: z
    .object({
      publicKey: z.object({ hint: z.string().optional() }).optional(),
      certificate: z.object({ rawBytes: b64 }).optional(),
      x509CertificateChain: z
        .object({ certificates: z.array(z.object({ rawBytes: b64 })).min(1) })
        .optional(),
      tlogEntries: z.array(z.unknown()).optional(),
    })
    .refine(
      (m) => [m.publicKey, m.certificate, m.x509CertificateChain].filter((x) => x !== undefined).length === 1,
      'exactly one of publicKey, certificate, x509CertificateChain',
    ),
  dsseEnvelope: z.object({
    payload: b64,
    payloadType: z.string(),
    signatures: z.array(z.object({ sig: b64, keyid: z.string().optional() })).min(1),
  }),
});

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256');
const statementSchema = z.object({
  _type: z.literal(IN_TOTO_STATEMENT_TYPE),
  subject: z.array(z.object({ name: z.string(), digest: z.object({ sha256: hex64 }) })).length(1),
  predicateType: z.literal(MODEL_SIGNING_PREDICATE),
  predicate: z.object({
    serialization: z.object({
      method: z.literal('files'),
      hash_type: z.literal('sha256'),
      allow_symlinks: z.union([z.boolean(), z.string()]).optional(),
      ignore_paths: z.array(z.string()).default([]),
    }),
    resources: z
      .array(z.object({ name: z.string().min(1), algorithm: z.literal('sha256'), digest: hex64 }))
      .min(1),
  }),
});

/** Trust pinned in config, parsed once. */
export interface ModelSigningTrust {
  readonly keys: readonly { readonly name: string; readonly key: KeyObject }[];
  readonly authorities: readonly TrustAnchor[];
  /** Pinned Sigstore trusted root for keyless bundles (Rekor entries present). */
  readonly sigstore?: SigstoreTrust;
}

export interface VerifiedModelSignature {
  /** `key:<name>` or `ca:<name>:<leaf subject CN>`: who vouches, recorded as signedBy. */
  readonly signedBy: string;
  /** The statement's subject name (model_signing uses the model folder's name). */
  readonly modelName: string;
  readonly rootDigest: string;
  /** Signed path → SHA-256, in statement order. */
  readonly files: ReadonlyMap<string, string>;
  /** Paths the signer excluded from the signature (the signature file itself, .git, …). */
  readonly ignorePaths: readonly string[];
}

const malformed = (source: string, why: string): never => {
  throw new AirlockError('model_signature_malformed', { detail: `${source}: ${why}` });
};
const untrusted = (source: string, why: string): never => {
  throw new AirlockError('model_signature_untrusted', { detail: `${source}: ${why}` });
};
const issues = (e: z.ZodError) =>
  e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/** True when `bytes` look like a Sigstore bundle (used to tell a bundle from a raw signature). */
export function looksLikeSigstoreBundle(bytes: Buffer): boolean {
  try {
    const m = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    return typeof m === 'string' && m.startsWith('application/vnd.dev.sigstore.bundle');
  } catch {
    return false;
  }
}

function certOf(raw: string, source: string): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(raw, 'base64'));
  } catch {
    return malformed(source, 'a certificate in verificationMaterial is not DER X.509');
  }
}

function verifySigner(
  bundle: z.infer<typeof bundleSchema>,
  payload: Buffer,
  trust: ModelSigningTrust,
  at: Date,
  source: string,
): string {
  const env = bundle.dsseEnvelope;
  const sigs = env.signatures.map((s) => Buffer.from(s.sig, 'base64'));
  const signedBy = (key: KeyObject) => sigs.some((sig) => verifyDsse(env.payloadType, payload, sig, key));
  const vm = bundle.verificationMaterial;
  if (vm.publicKey) {
    // The hint is advisory (SHA-256 of the signer's PEM key); trust comes only from the pinned keys.
    const k = trust.keys.find((t) => signedBy(t.key));
    if (!k)
      untrusted(
        source,
        `the DSSE signature does not verify against any pinned key (unknown signer or altered statement); pinned: ${trust.keys.map((t) => t.name).join(', ') || 'none'}`,
      );
    return `key:${k!.name}`;
  }
  const certs = vm.certificate
    ? [certOf(vm.certificate.rawBytes, source)]
    : vm.x509CertificateChain!.certificates.map((c) => certOf(c.rawBytes, source));
  const leaf = certs[0]!;
  const chain = validateChain(leaf, certs.slice(1), trust.authorities, at);
  if (!chain.ok)
    untrusted(
      source,
      `signing certificate refused: ${chain.reason}${vm.tlogEntries?.length ? ' (Sigstore keyless bundles with Rekor entries are not verified by this build: sign with a key or a certificate from a pinned CA)' : ''}`,
    );
  if (!signedBy(leaf.publicKey))
    untrusted(source, 'the DSSE signature does not verify with the signing certificate (altered statement)');
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(leaf.subject)?.[1] ?? leaf.serialNumber;
  return `ca:${(chain as { anchor: string }).anchor}:${cn}`;
}

/**
 * Parses and verifies a model-signing bundle at time `at` (certificates must be valid then).
 * Throws model_signature_malformed or model_signature_untrusted; never returns unverified content.
 */
export function verifyModelSigningBundle(
  bytes: Buffer,
  trust: ModelSigningTrust,
  opts: { source: string; at: Date },
): VerifiedModelSignature {
  const { source } = opts;
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return malformed(source, 'not JSON');
  }
  const parsed = bundleSchema.safeParse(doc);
  if (!parsed.success) return malformed(source, `not a Sigstore DSSE bundle v0.3: ${issues(parsed.error)}`);
  const bundle = parsed.data;
  if (bundle.dsseEnvelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    malformed(source, `payloadType ${bundle.dsseEnvelope.payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
  // 1. Who signed: nothing in the payload is read before the signature over it verified. A bundle
  //    with Rekor entries is Sigstore keyless when a trusted root is pinned (certificate checked at
  //    the log's time); otherwise its certificate must chain to a pinned CA and be valid now.
  const keyless = (bundle.verificationMaterial.tlogEntries?.length ?? 0) > 0 && trust.sigstore !== undefined;
  const signedBy = keyless
    ? verifyKeylessBundle(doc, trust.sigstore!, source)
    : verifySigner(bundle, payload, trust, opts.at, source);
  // 2. What was signed.
  let statementDoc: unknown;
  try {
    statementDoc = JSON.parse(payload.toString('utf8'));
  } catch {
    return malformed(source, 'the signed payload is not JSON');
  }
  const st = statementSchema.safeParse(statementDoc);
  if (!st.success) return malformed(source, `not a model_signing v1.0 statement: ${issues(st.error)}`);
  const { resources, serialization } = st.data.predicate;
  const root = createHash('sha256');
  const files = new Map<string, string>();
  for (const r of resources) {
    if (files.has(r.name)) malformed(source, `resource ${r.name} listed twice`);
    if (
      r.name.startsWith('/') ||
      r.name.includes('\\') ||
      r.name.split('/').some((s) => s === '' || s === '.' || s === '..')
    )
      malformed(source, `resource ${JSON.stringify(r.name)} is not a relative path without . or .. segments`);
    files.set(r.name, r.digest);
    root.update(Buffer.from(r.digest, 'hex'));
  }
  const subject = st.data.subject[0]!;
  if (root.digest('hex') !== subject.digest.sha256)
    malformed(source, 'the subject digest does not match the listed resources (inconsistent statement)');
  return {
    signedBy,
    modelName: subject.name,
    rootDigest: subject.digest.sha256,
    files,
    ignorePaths: serialization.ignore_paths,
  };
}

/** Parses the pinned trust from config once; a bad key or certificate names its config path. */
export function parseModelSigningTrust(config: {
  publicKeys: readonly { name: string; publicKey: string }[];
  certificateAuthorities: readonly { name: string; certificate: string }[];
  sigstore?: { trustedRootPath: string; identities: readonly SigstoreIdentity[]; ctLogThreshold: number };
}): ModelSigningTrust {
  const bad = (path: string, why: string): never => {
    throw new AirlockError('config_invalid', { detail: `custody.modelSigning.${path}: ${why}` });
  };
  const keys = config.publicKeys.map((k, i) => {
    let key: KeyObject | undefined;
    try {
      key = createPublicKey(k.publicKey);
    } catch (err) {
      bad(`publicKeys.${i} (${k.name})`, `not a PEM public key (${(err as Error).message})`);
    }
    const why = unsupportedKey(key!);
    if (why) bad(`publicKeys.${i} (${k.name})`, why);
    return { name: k.name, key: key! };
  });
  const authorities = config.certificateAuthorities.map((a, i) => {
    let certificate: X509Certificate | undefined;
    try {
      certificate = new X509Certificate(a.certificate);
    } catch (err) {
      bad(`certificateAuthorities.${i} (${a.name})`, `not a PEM certificate (${(err as Error).message})`);
    }
    return { name: a.name, certificate: certificate! };
  });
  return { keys, authorities, ...(config.sigstore ? { sigstore: loadSigstoreTrust(config.sigstore) } : {}) };
}
