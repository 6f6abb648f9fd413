// Break-glass grants over a GrantRepo. Opening needs the role, a fresh TOTP code (verified and
// consumed by the injected verifier, so a code is good once) and a written reason; the expiry is
// hard (≤ 1 h, on a whole second) and checked against the injected clock on every use — no timer.
// Review is by a different person, after the grant has ended (so it covers every use).
import { randomBytes } from 'node:crypto';
import { AirlockError } from '../../errors.ts';
import { refuseSameHolder, type SameHolder } from '../key-lineage.ts';
import type { BreakGlassEvent, GrantRecord, GrantRepo } from './types.ts';

/** The hard ceiling on any grant, whatever the configuration says. */
export const MAX_GRANT_MS = 3_600_000;
/** A reason shorter than this is not a written reason. */
export const MIN_REASON_CHARS = 10;

export interface BreakGlassDeps {
  readonly repo: GrantRepo;
  /** True iff `code` is a fresh TOTP code of user `principalId`; MUST consume the step (replay). */
  readonly verifyTotp: (principalId: string, code: string) => Promise<boolean>;
  readonly now?: () => number;
  /** Longest grant (default and ceiling 1 h). */
  readonly maxTtlMs?: number;
  /** The role that may open grants (default "break-glass"). */
  readonly role?: string;
  readonly onEvent?: (event: BreakGlassEvent) => void;
  readonly newId?: () => string;
  /** Principals that count as one person (a reviewer who created the holder's API key, or vice versa). */
  readonly sameHolder?: SameHolder;
}

export interface BreakGlassOpener {
  readonly id: string;
  readonly roles: readonly string[];
}

export interface BreakGlassService {
  open(input: {
    opener: BreakGlassOpener;
    reason: string;
    totp: string;
    ttlMs?: number;
  }): Promise<GrantRecord>;
  /** The grant if `principalId` may act under it now; break_glass_expired / break_glass_refused otherwise. */
  check(id: string, principalId: string): Promise<GrantRecord>;
  /** Counts one action taken under the grant. */
  recordUse(id: string): Promise<void>;
  /** Ends a grant early (its owner, or an admin). */
  close(id: string, actor: string): Promise<GrantRecord>;
  /** Signs a grant off; refused for the grant's owner and while the grant is still open. */
  review(id: string, reviewer: string, note?: string): Promise<GrantRecord>;
  get(id: string): Promise<GrantRecord>;
  list(filter?: { unreviewed?: boolean; limit?: number }): Promise<GrantRecord[]>;
  /** For /metrics and `airlock doctor`: grants open now and grants not yet reviewed. */
  counts(): Promise<{ open: number; unreviewed: number }>;
}

const ID = /^bg_[A-Za-z0-9_-]{16,64}$/;

export function isGrantId(value: string): boolean {
  return ID.test(value);
}

export function createBreakGlassService(deps: BreakGlassDeps): BreakGlassService {
  const now = deps.now ?? Date.now;
  const maxTtl = Math.min(deps.maxTtlMs ?? MAX_GRANT_MS, MAX_GRANT_MS);
  const role = deps.role ?? 'break-glass';
  const newId = deps.newId ?? (() => `bg_${randomBytes(16).toString('base64url')}`);
  const emit = (e: BreakGlassEvent) => deps.onEvent?.(e);

  const load = async (id: string): Promise<GrantRecord> => {
    const g = ID.test(id) ? await deps.repo.get(id) : undefined;
    if (!g) throw new AirlockError('approval_not_found', { detail: `grant ${id.slice(0, 80)}` });
    return g;
  };
  const ended = (g: GrantRecord, at: number) => g.closedAt !== null || at >= g.expiresAt;

  return {
    async open({ opener, reason, totp, ttlMs }) {
      const at = now();
      const refuse = (why: string): never => {
        emit({ type: 'breakglass.refused', actor: opener.id, at, reason: why });
        throw new AirlockError('break_glass_refused', { detail: `${opener.id}: ${why}` });
      };
      const text = typeof reason === 'string' ? reason.trim() : '';
      if (!opener.roles.includes(role)) refuse(`lacks role ${role}`);
      if (text.length < MIN_REASON_CHARS) refuse('no written reason');
      if (text.length > 2000) refuse('reason too long');
      if (ttlMs !== undefined && (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > maxTtl))
        refuse(`ttl outside (0, ${maxTtl} ms]`);
      // The second factor last, so a refused request for other reasons does not burn a code.
      if (typeof totp !== 'string' || !(await deps.verifyTotp(opener.id, totp)))
        refuse('TOTP code not fresh');
      // Whole seconds, rounded down: the grant closes at the second, never later than asked.
      const expiresAt = Math.floor((at + (ttlMs ?? maxTtl)) / 1000) * 1000;
      const grant: GrantRecord = {
        id: newId(),
        principal: opener.id,
        reason: text,
        openedAt: at,
        expiresAt,
        closedAt: null,
        closedBy: null,
        uses: 0,
        reviewedBy: null,
        reviewedAt: null,
        reviewNote: null,
      };
      await deps.repo.insert(grant);
      emit({ type: 'breakglass.opened', id: grant.id, actor: opener.id, at, reason: text, expiresAt });
      return grant;
    },
    async check(id, principalId) {
      const g = ID.test(id) ? await deps.repo.get(id) : undefined;
      if (!g || g.principal !== principalId)
        throw new AirlockError('break_glass_refused', {
          detail: `grant ${id.slice(0, 80)} not held by ${principalId}`,
        });
      if (ended(g, now())) throw new AirlockError('break_glass_expired', { detail: `grant ${id}` });
      return g;
    },
    recordUse: (id) => deps.repo.recordUse(id),
    async close(id, actor) {
      const g = await load(id);
      const at = now();
      if (g.closedAt === null) {
        // An expired grant is recorded as closed at its expiry, not at the moment someone noticed.
        await deps.repo.close(id, actor, Math.min(at, g.expiresAt));
        emit({ type: 'breakglass.closed', id, actor, at });
      }
      return load(id);
    },
    async review(id, reviewer, note) {
      const g = await load(id);
      if (reviewer === g.principal)
        throw new AirlockError('self_approval_refused', { detail: `${reviewer} reviewing own grant ${id}` });
      await refuseSameHolder(deps.sameHolder, g.principal, reviewer, `grant ${id}`);
      const at = now();
      if (!ended(g, at)) throw new AirlockError('conflict', { detail: `grant ${id} is still open` });
      if (!(await deps.repo.review(id, reviewer, at, note ?? null)))
        throw new AirlockError('conflict', { detail: `grant ${id} already reviewed` });
      emit({ type: 'breakglass.reviewed', id, actor: reviewer, at, ...(note ? { note } : {}) });
      return load(id);
    },
    get: load,
    list: (filter = {}) => deps.repo.list(filter),
    counts: () => deps.repo.counts(now()),
  };
}
