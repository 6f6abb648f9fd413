// Envelope encryption, pure (DESIGN §4): each secret version gets its own random AES-256-GCM data key
// and 96-bit nonce (NIST SP 800-38D §8.2.2: random nonces are safe far below 2^32 uses per key, and each
// data key is used once); the data key is wrapped by the master key with AES-256-GCM too. Both AADs
// bind the ciphertext to its secret name and version, so a row copied onto another name or version
// fails authentication instead of decrypting (a confused-deputy swap).
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TAG_BYTES = 16;
const NONCE_BYTES = 12;
export const KEY_BYTES = 32;

export interface Sealed {
  readonly nonce: Buffer;
  /** ciphertext || 16-byte GCM tag */
  readonly ciphertext: Buffer;
}

export interface EnvelopeRow {
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly wrapNonce: Buffer;
  readonly wrappedKey: Buffer;
}

/** AAD for a value: name and version, length-prefixed so no two (name, version) pairs collide. */
export function valueAad(name: string, version: number): Buffer {
  return Buffer.from(`airlock-vault-value:v1:${name.length}:${name}:${version}`, 'utf8');
}

function keyAad(name: string, version: number): Buffer {
  return Buffer.from(`airlock-vault-key:v1:${name.length}:${name}:${version}`, 'utf8');
}

export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, ciphertext: Buffer.concat([body, cipher.getAuthTag()]) };
}

/** Throws (never returns partial plaintext) when the tag, nonce, AAD or key is wrong. */
export function open(key: Buffer, sealed: Sealed, aad: Buffer): Buffer {
  if (sealed.nonce.length !== NONCE_BYTES || sealed.ciphertext.length < TAG_BYTES) {
    throw new Error('envelope: malformed ciphertext');
  }
  const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES);
  const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]);
}

/** Encrypts one secret version under a fresh data key wrapped by `master`. */
export function encryptValue(master: Buffer, name: string, version: number, value: Buffer): EnvelopeRow {
  const dataKey = randomBytes(KEY_BYTES);
  try {
    const sealed = seal(dataKey, value, valueAad(name, version));
    const wrapped = seal(master, dataKey, keyAad(name, version));
    return {
      nonce: sealed.nonce,
      ciphertext: sealed.ciphertext,
      wrapNonce: wrapped.nonce,
      wrappedKey: wrapped.ciphertext,
    };
  } finally {
    dataKey.fill(0);
  }
}

export function decryptValue(master: Buffer, name: string, version: number, row: EnvelopeRow): Buffer {
  const dataKey = open(master, { nonce: row.wrapNonce, ciphertext: row.wrappedKey }, keyAad(name, version));
  try {
    return open(dataKey, { nonce: row.nonce, ciphertext: row.ciphertext }, valueAad(name, version));
  } finally {
    dataKey.fill(0);
  }
}

/** Master key rotation: unwraps the data key with `from` and wraps it with `to`; the value is untouched. */
export function rewrapKey(
  from: Buffer,
  to: Buffer,
  name: string,
  version: number,
  row: Pick<EnvelopeRow, 'wrapNonce' | 'wrappedKey'>,
): Pick<EnvelopeRow, 'wrapNonce' | 'wrappedKey'> {
  const dataKey = open(from, { nonce: row.wrapNonce, ciphertext: row.wrappedKey }, keyAad(name, version));
  try {
    const wrapped = seal(to, dataKey, keyAad(name, version));
    return { wrapNonce: wrapped.nonce, wrappedKey: wrapped.ciphertext };
  } finally {
    dataKey.fill(0);
  }
}

/** Key check value stored beside the ciphertext: tells a wrong master key apart without revealing it. */
export function keyCheck(master: Buffer): string {
  return createHmac('sha256', master).update('airlock-vault-key-check:v1').digest('hex');
}

export function sameKeyCheck(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}
