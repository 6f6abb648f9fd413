// Human approvals (P8): a decision that needs approval creates a request bound to exactly one
// principal, action, resource and argument hash; approvers of the named groups grant or deny it;
// a granted approval is used once, before it expires, by the same principal for the same request.

/** What an approval is for. All four must match on use (replay across principals or arguments). */
export interface ApprovalBinding {
  /** Principal id of the requester (Principal.id). */
  readonly principal: string;
  /** Policy action (`chat`, `tools/call`, `admin/keys.create` …). */
  readonly action: string;
  /** Resource as `Type::id` (`Model::gpt-4o`). */
  readonly resource: string;
  /** Lower-case hex SHA-256 of the RFC 8785 canonical JSON of the arguments / body. */
  readonly argsHash: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'consumed';

export interface ApprovalRecord extends ApprovalBinding {
  readonly id: string;
  /** Approver groups (from `@approval("group")`); one approver holding any of them decides. */
  readonly groups: readonly string[];
  readonly status: ApprovalStatus;
  /** Request id of the request that asked (for the audit trail). */
  readonly requestId: string;
  readonly createdAt: number;
  /** Pending: deadline to decide. Approved: deadline to use. Epoch ms; at or after it, unusable. */
  readonly expiresAt: number;
  readonly decidedBy: string | null;
  readonly decidedAt: number | null;
  readonly note: string | null;
  readonly consumedAt: number | null;
}

/**
 * Persistence for approvals. Times are epoch milliseconds. Unreachable database →
 * AirlockError('store_unavailable').
 * - `decide` MUST move pending → approved | denied atomically and only while unexpired at `at`:
 *   of two concurrent decisions, one wins (the other sees false).
 * - `consume` MUST move approved → consumed atomically, only when the binding matches exactly and
 *   `now` is before expiresAt: of two concurrent uses, one wins (single use).
 * - Nothing is ever deleted by these calls (the history is evidence).
 */
export interface ApprovalRepo {
  insert(record: ApprovalRecord): Promise<void>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  /** Newest first. */
  list(filter: { status?: ApprovalStatus; limit?: number }): Promise<ApprovalRecord[]>;
  /** A pending, unexpired request with exactly this binding (so retries do not pile up requests). */
  findPending(binding: ApprovalBinding, now: number): Promise<ApprovalRecord | undefined>;
  /** A granted, unused, unexpired approval with exactly this binding (a retry that names no id:
   *  MCP URL-mode elicitation, where the client repeats the call after the human approved). */
  findGranted(binding: ApprovalBinding, now: number): Promise<ApprovalRecord | undefined>;
  decide(
    id: string,
    outcome: 'approved' | 'denied',
    by: string,
    at: number,
    expiresAt: number,
    note: string | null,
  ): Promise<boolean>;
  consume(id: string, binding: ApprovalBinding, now: number): Promise<boolean>;
  /** Pending and approved-unused requests whose deadline has not passed. */
  countOpen(now: number): Promise<number>;
}

/** One step of an approval's life, for the audit log. */
export interface ApprovalEvent {
  readonly type: 'approval.requested' | 'approval.approved' | 'approval.denied' | 'approval.consumed';
  readonly id: string;
  readonly actor: string;
  readonly at: number;
  readonly binding: ApprovalBinding;
  readonly groups: readonly string[];
  readonly note?: string;
}

/** Who is deciding: principal id and the roles that count for approver groups. */
export interface Approver {
  readonly id: string;
  readonly roles: readonly string[];
}
