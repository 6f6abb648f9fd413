// DSSE (Dead Simple Signing Envelope, github.com/secure-systems-lab/dsse protocol.md): the signature
// covers PAE(payloadType, payload), never the bare payload, so a signature made for one payload type
// cannot be replayed as another. Verification is offline with node:crypto: ECDSA (P-256/384/521,
// DER-encoded signatures as Sigstore bundles carry them, hash chosen by the curve as in
// sigstore/protobuf-specs PublicKeyDetails) and Ed25519.
import { type KeyObject, verify } from 'node:crypto';

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body; LEN in ASCII decimal bytes. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

const curveHash: Readonly<Record<string, string>> = {
  prime256v1: 'sha256',
  secp384r1: 'sha384',
  secp521r1: 'sha512',
};

/** Why a key cannot verify DSSE signatures here, or undefined when it can. */
export function unsupportedKey(key: KeyObject): string | undefined {
  if (key.type !== 'public') return 'not a public key';
  if (key.asymmetricKeyType === 'ed25519') return undefined;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '?';
    return curveHash[curve] ? undefined : `EC curve ${curve} is not P-256, P-384 or P-521`;
  }
  return `${key.asymmetricKeyType ?? 'unknown'} keys are not supported (EC P-256/384/521 or Ed25519)`;
}

/** True when `sig` is a valid signature by `key` over PAE(payloadType, payload). Never throws. */
export function verifyDsse(payloadType: string, payload: Buffer, sig: Buffer, key: KeyObject): boolean {
  if (unsupportedKey(key) !== undefined) return false;
  const message = pae(payloadType, payload);
  try {
    if (key.asymmetricKeyType === 'ed25519') return verify(null, message, key, sig);
    const hash = curveHash[key.asymmetricKeyDetails!.namedCurve!]!;
    return verify(hash, message, { key, dsaEncoding: 'der' }, sig);
  } catch {
    return false; // malformed DER signature
  }
}
