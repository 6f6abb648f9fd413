// Proof generation over a store of complete (perfect) subtree hashes. The log stores the hash of every
// perfect subtree as soon as it is complete — node (level, index) covers leaves
// [index·2^level, (index+1)·2^level) — so any subtree the RFC 6962 recursion asks for is either one
// stored node or the right-to-left fold of at most log2(n) of them (the "ephemeral" nodes of
// RFC 9162 §2.1.3). Generators return a plan of node ids first, so a driver can fetch them all in one
// query; `assemble` then folds the hashes into proof components. O(log n) node reads per proof.
import { nodeHash } from './hash.ts';
import { splitPoint } from './reference.ts';

export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** One proof component: the MTH of a subtree, given as its perfect subtrees from left to right. */
export type Component = readonly NodeId[];

export function nodeKey(id: NodeId): string {
  return `${id.level}/${id.index}`;
}

/** Perfect subtrees covering [start, end), largest first. `start` must be aligned as in the RFC recursion. */
export function rangeNodes(start: number, end: number): NodeId[] {
  const out: NodeId[] = [];
  let at = start;
  while (at < end) {
    let size = 1;
    let level = 0;
    // Grow while the next power of two still fits in the range and stays aligned at `at`.
    while (size * 2 <= end - at && at % (size * 2) === 0) {
      size *= 2;
      level++;
    }
    out.push({ level, index: at / size });
    at += size;
  }
  return out;
}

/** Node ids whose fold is MTH(D[0:n]) (the checkpoint root of a tree of size n > 0). */
export function rootPlan(n: number): Component {
  return rangeNodes(0, n);
}

/** PATH(m, D[n]) of RFC 6962 §2.1.1, as node ids. */
export function inclusionPlan(m: number, n: number): Component[] {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m >= n) {
    throw new RangeError(`leaf ${m} is outside a tree of size ${n}`);
  }
  return path(m, 0, n);
}

function path(m: number, start: number, n: number): Component[] {
  if (n === 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...path(m, start, k), rangeNodes(start + k, start + n)];
  return [...path(m - k, start + k, n - k), rangeNodes(start, start + k)];
}

/** PROOF(m, D[n]) of RFC 6962 §2.1.2 for 0 < m <= n, as node ids. */
export function consistencyPlan(m: number, n: number): Component[] {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m <= 0 || m > n) {
    throw new RangeError(`size ${m} is not in (0, ${n}]`);
  }
  return subproof(m, 0, n, true);
}

function subproof(m: number, start: number, n: number, complete: boolean): Component[] {
  if (m === n) return complete ? [] : [rangeNodes(start, start + n)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(m, start, k, complete), rangeNodes(start + k, start + n)];
  return [...subproof(m - k, start + k, n - k, false), rangeNodes(start, start + k)];
}

/** Every distinct node a set of components needs (what a driver fetches). */
export function planNodes(components: readonly Component[]): NodeId[] {
  const seen = new Map<string, NodeId>();
  for (const c of components) for (const id of c) seen.set(nodeKey(id), id);
  return [...seen.values()];
}

/** MTH of a subtree from its perfect subtrees, folded right to left (RFC 9162 §2.1.1 recursion). */
export function foldHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new RangeError('cannot fold an empty range');
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

/** Turn a plan into proof hashes; throws when the store lacks a node it should hold. */
export function assemble(
  components: readonly Component[],
  lookup: (id: NodeId) => Uint8Array | undefined,
): Uint8Array[] {
  return components.map((c) =>
    foldHashes(
      c.map((id) => {
        const h = lookup(id);
        if (h === undefined) throw new Error(`tree node ${nodeKey(id)} is missing from the store`);
        return h;
      }),
    ),
  );
}
