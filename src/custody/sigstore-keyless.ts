// Sigstore keyless model signatures verified offline against a pinned trusted_root.json (a private
// Fulcio CA and Rekor log inside the enclave, or a copy of the public one carried in): sigstore-js
// @sigstore/verify checks the Rekor entry (signed entry timestamp and the Merkle inclusion proof
// against a checkpoint signed by the pinned log key), the certificate chain to the pinned Fulcio CA
// at the log's integrated time (so a 10-minute certificate verifies later), SCTs when required, and
// the DSSE signature. It has no network code; nothing is fetched. The signer's identity is then
// compared exactly with the configured identities (the library's own policy match is a regular
// expression, which would accept `evil-release@corp.internal` for `release@corp.internal`).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { type TrustMaterial, toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { AirlockError } from '../errors.ts';
import { CODE_SIGNING_OID } from './x509-chain.ts';

export interface SigstoreIdentity {
  /** Exact subject alternative name of the signing certificate (an email or a URI). */
  readonly subject: string;
  /** Exact OIDC issuer recorded by Fulcio (extension 1.3.6.1.4.1.57264.1.8). */
  readonly issuer: string;
}

export interface SigstoreTrust {
  readonly material: TrustMaterial;
  readonly identities: readonly SigstoreIdentity[];
  readonly ctLogThreshold: number;
}

/** Reads and parses the pinned trusted root once; a bad file stops start-up naming it. */
export function loadSigstoreTrust(config: {
  trustedRootPath: string;
  identities: readonly SigstoreIdentity[];
  ctLogThreshold: number;
}): SigstoreTrust {
  let material: TrustMaterial;
  try {
    const doc = JSON.parse(readFileSync(config.trustedRootPath, 'utf8')) as unknown;
    material = toTrustMaterial(TrustedRoot.fromJSON(doc));
  } catch (err) {
    throw new AirlockError('config_invalid', {
      detail: `custody.modelSigning.sigstore.trustedRootPath: cannot read a Sigstore trusted root from ${config.trustedRootPath} (${(err as Error).message})`,
    });
  }
  if (material.certificateAuthorities.length === 0 || material.tlogs.length === 0)
    throw new AirlockError('config_invalid', {
      detail: `custody.modelSigning.sigstore.trustedRootPath: ${config.trustedRootPath} pins no certificate authority or no transparency log`,
    });
  return { material, identities: config.identities, ctLogThreshold: config.ctLogThreshold };
}

/**
 * Verifies a keyless bundle (a Fulcio certificate and Rekor entries) and returns `signedBy`
 * (`sigstore:<subject>`). Throws model_signature_untrusted or model_signature_malformed.
 */
export function verifyKeylessBundle(doc: unknown, trust: SigstoreTrust, source: string): string {
  let entity: ReturnType<typeof toSignedEntity>;
  try {
    entity = toSignedEntity(bundleFromJSON(doc));
  } catch (err) {
    throw new AirlockError('model_signature_malformed', {
      detail: `${source}: not a valid Sigstore bundle (${(err as Error).message})`,
    });
  }
  let signer: ReturnType<Verifier['verify']>;
  try {
    signer = new Verifier(trust.material, {
      tlogThreshold: 1,
      ctlogThreshold: trust.ctLogThreshold,
      timestampThreshold: 1,
    }).verify(entity);
  } catch (err) {
    throw new AirlockError('model_signature_untrusted', {
      detail: `${source}: Sigstore verification against the pinned trusted root failed (${(err as Error).message})`,
    });
  }
  const subject = signer.identity?.subjectAlternativeName;
  const issuer = signer.identity?.extensions?.issuer;
  const allowed = trust.identities.some((i) => i.subject === subject && i.issuer === issuer);
  if (!allowed)
    throw new AirlockError('model_signature_untrusted', {
      detail: `${source}: signer ${subject ?? '(no identity)'} from ${issuer ?? '(no issuer)'} is not one of custody.modelSigning.sigstore.identities`,
    });
  // Fulcio issues code-signing certificates; anything else was not meant to sign artefacts.
  const vm = (
    doc as {
      verificationMaterial?: {
        certificate?: { rawBytes?: string };
        x509CertificateChain?: { certificates?: { rawBytes?: string }[] };
      };
    }
  ).verificationMaterial;
  const raw = vm?.certificate?.rawBytes ?? vm?.x509CertificateChain?.certificates?.[0]?.rawBytes;
  const leaf = raw ? new X509Certificate(Buffer.from(raw, 'base64')) : undefined;
  if (leaf && !(leaf.keyUsage ?? []).includes(CODE_SIGNING_OID))
    throw new AirlockError('model_signature_untrusted', {
      detail: `${source}: the signing certificate does not allow code signing (extendedKeyUsage)`,
    });
  return `sigstore:${subject}`;
}
