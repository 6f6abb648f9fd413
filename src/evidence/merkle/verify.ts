// Proof verification, transcribed from RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).
// Arithmetic uses Math.floor/%, not bitwise operators, because JS bit operations truncate to 32 bits
// and tree sizes are 53-bit safe integers.
import { HASH_SIZE, hashEquals, nodeHash } from './hash.ts';

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: VerifyResult = { ok: true };
const fail = (reason: string): VerifyResult => ({ ok: false, reason });
const odd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/** Root implied by an inclusion proof, or a reason it cannot be computed (RFC 9162 §2.1.3.2 steps 1–5). */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): { root: Uint8Array } | { reason: string } {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    return { reason: `leaf index ${index} is not below tree size ${size}` };
  }
  if (leaf.length !== HASH_SIZE) return { reason: 'leaf hash is not a SHA-256 hash' };
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== HASH_SIZE) return { reason: 'proof element is not a SHA-256 hash' };
    if (sn === 0) return { reason: 'proof is longer than the tree is deep' };
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return { reason: 'proof is shorter than the tree is deep' };
  return { root: r };
}

/** Inclusion proof check: does `leaf` sit at `index` in the tree of `size` with `root`? */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): VerifyResult {
  if (root.length !== HASH_SIZE) return fail('root is not a SHA-256 hash');
  const got = rootFromInclusionProof(index, size, leaf, proof);
  if ('reason' in got) return fail(got.reason);
  return hashEquals(got.root, root) ? OK : fail('computed root does not match');
}

/**
 * Consistency proof check (RFC 9162 §2.1.4.2). A proof from the empty tree proves nothing, so size1 = 0
 * is rejected; equal sizes need an empty proof and equal roots.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): VerifyResult {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2)) return fail('sizes must be integers');
  if (size1 <= 0) return fail('consistency with the empty tree is not checkable');
  if (size2 < size1) return fail(`size2 ${size2} is smaller than size1 ${size1}`);
  if (size1 === size2) {
    if (proof.length !== 0) return fail('equal sizes need an empty proof');
    return hashEquals(root1, root2) ? OK : fail('equal sizes but different roots');
  }
  if (proof.length === 0) return fail('empty proof');
  for (const p of proof) if (p.length !== HASH_SIZE) return fail('proof element is not a SHA-256 hash');
  // Step 2: when size1 is a power of two, the old root itself is the first node of the path.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return fail('proof is longer than the tree is deep');
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return fail('proof is shorter than the tree is deep');
  if (!hashEquals(fr, root1)) return fail('proof does not lead to the old root');
  if (!hashEquals(sr, root2)) return fail('proof does not lead to the new root');
  return OK;
}

function isPowerOfTwo(x: number): boolean {
  let v = x;
  while (v > 1 && v % 2 === 0) v /= 2;
  return v === 1;
}
