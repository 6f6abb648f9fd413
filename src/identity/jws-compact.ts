// JWS Compact Serialization (RFC 7515 §7.1), parsed once and verified synchronously with node:crypto
// on pre-imported KeyObjects. jose 6 verifies through WebCrypto, whose async path costs more than
// the RSA verify itself (~40 µs per token on a small core); this file does the same checks without it.
// Nothing here decides *which* key or algorithm is acceptable — the key set (jwks.ts) and the caller's
// allowlist do (RFC 8725 §3.1); this only parses strictly and runs RFC 7518 §3's signature schemes.
import { constants, createHmac, type KeyObject, timingSafeEqual, verify } from 'node:crypto';

export interface CompactJws {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** ASCII of `BASE64URL(header) || '.' || BASE64URL(payload)`: the JWS Signing Input (RFC 7515 §5.1). */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict base64url without padding (RFC 7515 §2, RFC 4648 §5): only the URL-safe alphabet, no '=',
 * no whitespace, a length that can encode whole bytes, and zero unused bits in the last character, so
 * each byte string has exactly one accepted encoding (a token cannot be altered without changing
 * the bytes it carries). undefined when the text is not such an encoding.
 */
export function decodeBase64urlStrict(text: string): Buffer | undefined {
  const rem = text.length & 3;
  if (rem === 1 || !B64URL.test(text)) return undefined;
  if (rem !== 0) {
    const last = text.charCodeAt(text.length - 1);
    const v = last >= 97 ? last - 71 : last >= 65 ? last - 65 : last >= 48 ? last + 4 : last === 45 ? 62 : 63;
    if ((v & (rem === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  }
  return Buffer.from(text, 'base64url');
}

/** A JSON object (not an array, not null) from strict base64url of strict UTF-8 (RFC 7515 §5.2 steps 2-4). */
function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeBase64urlStrict(segment);
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Splits and decodes a compact JWS; undefined when any part is not what RFC 7515 §7.1 allows. */
export function parseCompactJws(token: string): CompactJws | undefined {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) return undefined;
  const header = decodeJsonObject(token.slice(0, first));
  if (header === undefined) return undefined;
  const payload = decodeJsonObject(token.slice(first + 1, second));
  if (payload === undefined) return undefined;
  const signature = decodeBase64urlStrict(token.slice(second + 1));
  if (signature === undefined) return undefined;
  return { header, payload, signingInput: Buffer.from(token.slice(0, second), 'latin1'), signature };
}

type Scheme =
  | { readonly kind: 'pkcs1'; readonly hash: string }
  | { readonly kind: 'ecdsa'; readonly hash: string; readonly size: number }
  | { readonly kind: 'pss'; readonly hash: string; readonly saltLength: number }
  | { readonly kind: 'eddsa' }
  | { readonly kind: 'hmac'; readonly hash: string };

/** RFC 7518 §3.1 (and RFC 8037 §3.1, RFC 9864 §2.2 for EdDSA / Ed25519). */
const SCHEMES: Readonly<Record<string, Scheme>> = {
  HS256: { kind: 'hmac', hash: 'sha256' },
  RS256: { kind: 'pkcs1', hash: 'sha256' },
  RS384: { kind: 'pkcs1', hash: 'sha384' },
  RS512: { kind: 'pkcs1', hash: 'sha512' },
  // RFC 7518 §3.5: MGF1 with the same hash, salt length equal to the hash output.
  PS256: { kind: 'pss', hash: 'sha256', saltLength: 32 },
  PS384: { kind: 'pss', hash: 'sha384', saltLength: 48 },
  PS512: { kind: 'pss', hash: 'sha512', saltLength: 64 },
  // RFC 7518 §3.4: R || S, each the curve's size, not DER.
  ES256: { kind: 'ecdsa', hash: 'sha256', size: 64 },
  ES384: { kind: 'ecdsa', hash: 'sha384', size: 96 },
  ES512: { kind: 'ecdsa', hash: 'sha512', size: 132 },
  EdDSA: { kind: 'eddsa' },
  Ed25519: { kind: 'eddsa' },
};

/** Algorithms this file can verify; anything else is refused before a key is looked up. */
export function isSupportedAlgorithm(alg: string): boolean {
  return Object.hasOwn(SCHEMES, alg);
}

/**
 * Verifies a JWS signature. The caller has already matched the key to the algorithm (jwks.ts
 * keyMatchesAlg); a key that does not fit, or a signature of the wrong shape, verifies false.
 */
export function verifyJwsSignature(
  alg: string,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  const scheme = Object.hasOwn(SCHEMES, alg) ? SCHEMES[alg] : undefined;
  if (!scheme) return false;
  try {
    switch (scheme.kind) {
      case 'hmac': {
        if (key.type !== 'secret') return false;
        const mac = createHmac(scheme.hash, key).update(signingInput).digest();
        return mac.length === signature.length && timingSafeEqual(mac, signature);
      }
      case 'pkcs1':
        return key.asymmetricKeyType === 'rsa' && verify(scheme.hash, signingInput, key, signature);
      case 'pss':
        return verify(
          scheme.hash,
          signingInput,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
          signature,
        );
      case 'ecdsa':
        return (
          key.asymmetricKeyType === 'ec' &&
          signature.length === scheme.size &&
          verify(scheme.hash, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature)
        );
      case 'eddsa':
        return key.asymmetricKeyType === 'ed25519' && verify(null, signingInput, key, signature);
    }
  } catch {
    return false; // e.g. a signature longer than the modulus: not a valid signature, not an internal error
  }
}
