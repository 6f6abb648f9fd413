// The right edge of the tree (a "compact range" over [0, size)): the roots of the perfect subtrees that
// decompose the tree, largest first. Appending a leaf completes a chain of perfect subtrees; those are
// exactly the nodes the log must store so later proofs need only stored nodes (see plan.ts).
import { EMPTY_ROOT, nodeHash } from './hash.ts';
import type { NodeId } from './plan.ts';
import { foldHashes, rangeNodes } from './plan.ts';

export interface StoredNode extends NodeId {
  readonly hash: Uint8Array;
}

export interface Frontier {
  readonly size: number;
  /** Hashes of rangeNodes(0, size), in that order. */
  readonly hashes: readonly Uint8Array[];
}

export const EMPTY_FRONTIER: Frontier = { size: 0, hashes: [] };

/** Node ids a driver loads to rebuild the frontier of a tree of `size`. */
export function frontierNodes(size: number): NodeId[] {
  return rangeNodes(0, size);
}

/** Append leaf hashes; returns the new frontier and every newly completed node (leaves included). */
export function appendLeaves(
  frontier: Frontier,
  leaves: readonly Uint8Array[],
): { frontier: Frontier; nodes: StoredNode[] } {
  const hashes = [...frontier.hashes];
  const nodes: StoredNode[] = [];
  let size = frontier.size;
  for (const leaf of leaves) {
    let hash = leaf;
    let level = 0;
    let index = size;
    nodes.push({ level, index, hash });
    // Each odd index closes a pair with the left sibling on top of the frontier.
    while (index % 2 === 1) {
      hash = nodeHash(hashes.pop()!, hash);
      level++;
      index = Math.floor(index / 2);
      nodes.push({ level, index, hash });
    }
    hashes.push(hash);
    size++;
  }
  return { frontier: { size, hashes }, nodes };
}

/** MTH of the tree the frontier describes. */
export function frontierRoot(frontier: Frontier): Uint8Array {
  return frontier.size === 0 ? EMPTY_ROOT : foldHashes(frontier.hashes);
}
