// Slow reference implementation written straight from the recursive definitions of RFC 6962 §2.1
// (MTH), §2.1.1 (PATH) and §2.1.2 (PROOF / SUBPROOF), over leaf hashes held in memory. It exists so
// the fast, node-store-backed generators in plan.ts can be checked against the text of the RFC.
import { EMPTY_ROOT, nodeHash } from './hash.ts';

/** Largest power of two strictly less than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over already-hashed leaves. */
export function referenceRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

/** PATH(m, D[n]): the audit path for leaf m (RFC 6962 §2.1.1). */
export function referenceInclusionProof(m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  const n = leaves.length;
  if (m < 0 || m >= n) throw new RangeError(`leaf ${m} is outside a tree of size ${n}`);
  if (n === 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...referenceInclusionProof(m, leaves.slice(0, k)), referenceRoot(leaves.slice(k))];
  return [...referenceInclusionProof(m - k, leaves.slice(k)), referenceRoot(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) for 0 < m <= n (RFC 6962 §2.1.2). */
export function referenceConsistencyProof(m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (m <= 0 || m > leaves.length) throw new RangeError(`size ${m} is not in (0, ${leaves.length}]`);
  return subproof(m, leaves, true);
}

function subproof(m: number, leaves: readonly Uint8Array[], complete: boolean): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [referenceRoot(leaves)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(m, leaves.slice(0, k), complete), referenceRoot(leaves.slice(k))];
  return [...subproof(m - k, leaves.slice(k), false), referenceRoot(leaves.slice(0, k))];
}
