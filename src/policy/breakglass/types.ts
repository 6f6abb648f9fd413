// Break-glass (P8): a user with the break-glass role, a fresh TOTP code and a written reason opens
// a grant with a hard expiry. Every action under it is flagged; at expiry it is closed (checked on
// every use against the injected clock); every grant waits in a review queue for a different person.

export interface GrantRecord {
  readonly id: string;
  /** Principal id of the user who opened it (only they can act under it). */
  readonly principal: string;
  readonly reason: string;
  readonly openedAt: number;
  /** Hard expiry, epoch ms on a whole second; the grant is unusable at and after it. */
  readonly expiresAt: number;
  readonly closedAt: number | null;
  readonly closedBy: string | null;
  /** Actions taken under the grant (incremented on each use). */
  readonly uses: number;
  readonly reviewedBy: string | null;
  readonly reviewedAt: number | null;
  readonly reviewNote: string | null;
}

/**
 * Persistence for grants. Times are epoch ms; unreachable database → store_unavailable.
 * - `close` MUST only close an open grant (closedAt null); `review` MUST only sign off an
 *   unreviewed grant, atomically (of two reviewers, one wins).
 * - Grants are never deleted (the review queue and the history are evidence).
 */
export interface GrantRepo {
  insert(grant: GrantRecord): Promise<void>;
  get(id: string): Promise<GrantRecord | undefined>;
  /** Newest first. */
  list(filter: { unreviewed?: boolean; limit?: number }): Promise<GrantRecord[]>;
  recordUse(id: string): Promise<void>;
  close(id: string, by: string, at: number): Promise<boolean>;
  review(id: string, by: string, at: number, note: string | null): Promise<boolean>;
  /** Open = not closed and expiresAt > now; unreviewed = reviewedAt null (open or not). */
  counts(now: number): Promise<{ open: number; unreviewed: number }>;
}

export interface BreakGlassEvent {
  readonly type: 'breakglass.opened' | 'breakglass.refused' | 'breakglass.closed' | 'breakglass.reviewed';
  readonly id?: string;
  readonly actor: string;
  readonly at: number;
  readonly reason?: string;
  readonly expiresAt?: number;
  readonly note?: string;
}
