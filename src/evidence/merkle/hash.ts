// RFC 6962 §2.1 / RFC 9162 §2.1.1 hashing with domain separation: leaves are hashed with a 0x00
// prefix and interior nodes with 0x01, so a leaf can never be passed off as an interior node
// (the second-preimage defence of RFC 9162 §2.1.1).
import { createHash } from 'node:crypto';

export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1). */
export const EMPTY_ROOT: Uint8Array = createHash('sha256').digest();

/** leafHash = SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** nodeHash = SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** Byte equality of two hashes (not secret, so no constant-time compare needed). */
export function hashEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
