// X.509 path validation for model-signing certificates (RFC 5280 section 6, the subset that matters
// for a pinned private CA): from the signing certificate, each step must be issued by the next
// (names and key identifiers: checkIssued; the signature: verify), every issuer must be a CA
// (basicConstraints cA), every certificate must be valid at the verification time, and the path must
// end at a pinned anchor. node:crypto's `ca` is OpenSSL's X509_check_ca, which already refuses a CA
// whose key usage leaves out keyCertSign (RFC 5280 section 6.1.4 (n)); a pathLenConstraint, which
// node:crypto does not expose, bounds the non-self-issued intermediates below its issuer (6.1.4 (l),
// (m)), applied to a pinned CA as well, so a CA that says pathlen:0 cannot be extended by whoever
// holds a certificate it issued. The leaf must not be a CA and must allow code
// signing (extended key usage id-kp-codeSigning, RFC 5280 section 4.2.1.12). Offline: no AIA
// fetching, no revocation lists.
import type { X509Certificate } from 'node:crypto';
import { X509Certificate as ParsedCertificate } from '@sigstore/core';

export const CODE_SIGNING_OID = '1.3.6.1.5.5.7.3.3';
const MAX_DEPTH = 8;

export interface TrustAnchor {
  readonly name: string;
  readonly certificate: X509Certificate;
}

export type ChainResult =
  | { readonly ok: true; readonly anchor: string; readonly path: readonly X509Certificate[] }
  | { readonly ok: false; readonly reason: string };

const nameOf = (c: X509Certificate) => c.subject.replaceAll('\n', ', ');

function validAt(c: X509Certificate, at: Date): string | undefined {
  if (at < c.validFromDate) return `${nameOf(c)} is not valid before ${c.validFrom}`;
  if (at > c.validToDate) return `${nameOf(c)} expired ${c.validTo}`;
  return undefined;
}

const issuedBy = (child: X509Certificate, parent: X509Certificate): boolean =>
  child.checkIssued(parent) && child.verify(parent.publicKey);

/** Why the issuer at `path[at]` may not have that many intermediates below it, or undefined. */
function pathLengthBroken(path: readonly X509Certificate[], at: number): string | undefined {
  const issuer = path[at]!;
  const limit = ParsedCertificate.parse(issuer.raw).extBasicConstraints?.pathLenConstraint;
  if (limit === undefined) return undefined;
  // Intermediates between this issuer and the leaf; a self-issued one does not count (6.1.4 (l)).
  const below = path.slice(1, at).filter((c) => c.subject !== c.issuer).length;
  return BigInt(below) > limit
    ? `${nameOf(issuer)} allows ${limit} intermediate certificate(s) below it (pathLenConstraint), the chain has ${below}`
    : undefined;
}

/** The path length limits of every issuer on a complete path (leaf first, anchor last). */
function pathLimitsBroken(path: readonly X509Certificate[]): string | undefined {
  for (let at = 1; at < path.length; at++) {
    const broken = pathLengthBroken(path, at);
    if (broken) return broken;
  }
  return undefined;
}

/** Validates `leaf` (with the bundle's `intermediates`) up to one of `anchors` at time `at`. */
export function validateChain(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly TrustAnchor[],
  at: Date,
): ChainResult {
  if (anchors.length === 0) return { ok: false, reason: 'no certificate authority is pinned' };
  if (leaf.ca) return { ok: false, reason: 'the signing certificate is a CA certificate' };
  const eku = leaf.keyUsage ?? [];
  if (!eku.includes(CODE_SIGNING_OID))
    return { ok: false, reason: 'the signing certificate does not allow code signing (extendedKeyUsage)' };
  const path: X509Certificate[] = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const bad = validAt(current, at);
    if (bad) return { ok: false, reason: bad };
    const anchor = anchors.find(
      (a) => a.certificate.fingerprint256 === current.fingerprint256 || issuedBy(current, a.certificate),
    );
    if (anchor) {
      if (anchor.certificate.fingerprint256 !== current.fingerprint256) {
        if (!anchor.certificate.ca)
          return { ok: false, reason: `pinned ${anchor.name} is not a CA certificate` };
        const expired = validAt(anchor.certificate, at);
        if (expired) return { ok: false, reason: `pinned ${anchor.name}: ${expired}` };
        path.push(anchor.certificate);
      }
      const broken = pathLimitsBroken(path);
      if (broken) return { ok: false, reason: broken };
      return { ok: true, anchor: anchor.name, path };
    }
    const next = intermediates.find((c) => !path.includes(c) && c.ca && issuedBy(current, c));
    if (!next) return { ok: false, reason: 'the certificate chain does not lead to a pinned CA' };
    path.push(next);
    current = next;
  }
  return { ok: false, reason: `the certificate chain is longer than ${MAX_DEPTH}` };
}
