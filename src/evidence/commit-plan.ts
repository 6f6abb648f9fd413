// Pure part of one group commit, shared by both drivers: given the tree's right edge and a batch of
// validated events, assign indices, encode leaves, compute every node the batch completes and, when
// asked, sign a checkpoint of the new root. Drivers only persist what this returns.
import type { PendingEntry } from './entry.ts';
import { encodeEntry } from './entry.ts';
import type { Frontier, StoredNode } from './merkle/compact-range.ts';
import { appendLeaves, frontierRoot } from './merkle/compact-range.ts';
import { leafHash } from './merkle/hash.ts';
import { signCheckpoint } from './note/checkpoint.ts';
import type { Checkpoint, NoteSigner } from './types.ts';

export interface EntryRow {
  readonly index: number;
  readonly data: Buffer;
  readonly requestId: string | null;
}

export interface CommitPlan {
  readonly entries: readonly EntryRow[];
  readonly nodes: readonly StoredNode[];
  readonly frontier: Frontier;
  readonly root: Uint8Array;
  readonly checkpoint: Checkpoint | null;
}

export function planCommit(
  frontier: Frontier,
  batch: readonly PendingEntry[],
  signer: Pick<NoteSigner, 'name' | 'keyId' | 'sign'>,
  withCheckpoint: boolean,
): CommitPlan {
  const entries: EntryRow[] = batch.map((p, i) => ({
    index: frontier.size + i,
    data: encodeEntry(p, frontier.size + i),
    requestId: p.requestId,
  }));
  const next = appendLeaves(
    frontier,
    entries.map((e) => leafHash(e.data)),
  );
  const root = frontierRoot(next.frontier);
  const checkpoint = withCheckpoint ? signCheckpoint(signer, next.frontier.size, root) : null;
  return { entries, nodes: next.nodes, frontier: next.frontier, root, checkpoint };
}
