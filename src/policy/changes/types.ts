// Two-person changes (P8): a runtime change to policies or config is a proposal with a diff; a
// different admin approves it before it takes effect; a rollback is a proposal of an old version.

export type ChangeKind = 'policy' | 'config';
export type ChangeStatus = 'proposed' | 'applied' | 'rejected' | 'superseded';

export interface ChangeRecord {
  readonly id: string;
  readonly kind: ChangeKind;
  /** The version this proposal was diffed against (0 = none yet); it applies only onto that version. */
  readonly baseVersion: number;
  readonly content: string;
  /** Unified diff from the base version's content to `content`. */
  readonly diff: string;
  readonly author: string;
  readonly note: string | null;
  /** Set when the proposal restores an earlier version. */
  readonly rollbackOf: number | null;
  readonly status: ChangeStatus;
  readonly createdAt: number;
  readonly decidedBy: string | null;
  readonly decidedAt: number | null;
  /** The version the change produced when applied. */
  readonly appliedVersion: number | null;
}

export interface VersionRecord {
  readonly kind: ChangeKind;
  /** 1, 2, 3 … per kind. */
  readonly version: number;
  readonly content: string;
  /** Lower-case hex SHA-256 of the content. */
  readonly sha256: string;
  /** The change that produced it (null for the adopted baseline). */
  readonly changeId: string | null;
  readonly author: string;
  readonly approver: string | null;
  readonly appliedAt: number;
}

/**
 * Persistence for changes and versions. Times are epoch ms; unreachable database → store_unavailable.
 * - `apply` MUST, in one transaction: check the change is proposed and the kind's current version
 *   equals its baseVersion, insert version baseVersion + 1, and mark the change applied; it returns
 *   undefined (and changes nothing) when any check fails.
 * - `adopt` MUST only insert version 1 when the kind has no version yet.
 */
export interface ChangeRepo {
  insert(change: ChangeRecord): Promise<void>;
  get(id: string): Promise<ChangeRecord | undefined>;
  list(filter: { kind?: ChangeKind; status?: ChangeStatus; limit?: number }): Promise<ChangeRecord[]>;
  reject(id: string, by: string, at: number): Promise<boolean>;
  apply(id: string, approver: string, at: number, sha256: string): Promise<VersionRecord | undefined>;
  adopt(version: VersionRecord): Promise<boolean>;
  current(kind: ChangeKind): Promise<VersionRecord | undefined>;
  version(kind: ChangeKind, version: number): Promise<VersionRecord | undefined>;
  /** Oldest first. */
  history(kind?: ChangeKind): Promise<VersionRecord[]>;
}

export interface ChangeEvent {
  readonly type:
    | 'change.proposed'
    | 'change.approved'
    | 'change.applied'
    | 'change.rejected'
    | 'change.baseline';
  readonly id: string | null;
  readonly kind: ChangeKind;
  readonly actor: string;
  readonly at: number;
  readonly version?: number;
  readonly baseVersion?: number;
  readonly rollbackOf?: number;
  readonly sha256?: string;
}
