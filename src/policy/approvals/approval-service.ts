// The approval workflow over an ApprovalRepo: request (deduplicated per binding), approve / deny by
// a different person holding one of the groups, check and single-use consume on the retried
// request. Every step is an event for the audit log. Clocks are injected; nothing runs on a timer —
// expiry is a comparison on every use.
import { createHash, randomBytes } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AirlockError } from '../../errors.ts';
import { refuseSameHolder, type SameHolder } from '../key-lineage.ts';
import type { ApprovalBinding, ApprovalEvent, ApprovalRecord, ApprovalRepo, Approver } from './types.ts';

export interface ApprovalServiceDeps {
  readonly repo: ApprovalRepo;
  readonly now?: () => number;
  /** How long a request waits for a decision (default 1 h). */
  readonly pendingTtlMs?: number;
  /** How long a granted approval may be used (default 15 min; a policy `@ttl` may shorten it). */
  readonly approvedTtlMs?: number;
  readonly onEvent?: (event: ApprovalEvent) => void;
  readonly newId?: () => string;
  /** Principals that count as one person (an approver who created the requester's API key). */
  readonly sameHolder?: SameHolder;
}

export interface ApprovalService {
  /** The pending request for this binding, created when there is none. */
  request(input: {
    binding: ApprovalBinding;
    groups: readonly string[];
    requestId: string;
    /** Policy `@ttl`: caps how long the granted approval may be used. */
    ttlMs?: number;
  }): Promise<ApprovalRecord>;
  approve(id: string, approver: Approver, note?: string): Promise<ApprovalRecord>;
  deny(id: string, approver: Approver, note?: string): Promise<ApprovalRecord>;
  get(id: string): Promise<ApprovalRecord>;
  list(filter?: { status?: ApprovalRecord['status']; limit?: number }): Promise<ApprovalRecord[]>;
  /** The granted approval `id` if it is usable for exactly this binding now; approval_invalid otherwise. */
  check(id: string, binding: ApprovalBinding): Promise<ApprovalRecord>;
  /** The granted, unused approval for exactly this binding, if any (not yet consumed: call consume). */
  findGranted(binding: ApprovalBinding): Promise<ApprovalRecord | undefined>;
  /** Uses it up (single use); approval_invalid when it is not usable or another request won. */
  consume(id: string, binding: ApprovalBinding): Promise<void>;
  /** Pending plus granted-but-unused approvals (for /metrics). */
  countOpen(): Promise<number>;
}

const ID = /^apr_[A-Za-z0-9_-]{16,64}$/;

/** Lower-case hex SHA-256 of the RFC 8785 canonical form of `args` (undefined hashes like null). */
export function argumentsHash(args: unknown): string {
  const canonical = canonicalize(args ?? null) ?? 'null';
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export function isApprovalId(value: string): boolean {
  return ID.test(value);
}

export function createApprovalService(deps: ApprovalServiceDeps): ApprovalService {
  const now = deps.now ?? Date.now;
  const pendingTtl = deps.pendingTtlMs ?? 3_600_000;
  const approvedTtl = deps.approvedTtlMs ?? 900_000;
  const newId = deps.newId ?? (() => `apr_${randomBytes(16).toString('base64url')}`);
  const emit = (e: ApprovalEvent) => deps.onEvent?.(e);
  // The @ttl a request asked for, remembered until it is decided (not persisted: a restart falls
  // back to approvedTtl, which is the upper bound anyway).
  const ttlCap = new Map<string, number>();

  const load = async (id: string): Promise<ApprovalRecord> => {
    const rec = ID.test(id) ? await deps.repo.get(id) : undefined;
    if (!rec) throw new AirlockError('approval_not_found', { detail: `approval ${id.slice(0, 80)}` });
    return rec;
  };

  const decide = async (
    id: string,
    approver: Approver,
    outcome: 'approved' | 'denied',
    note: string | undefined,
  ): Promise<ApprovalRecord> => {
    const rec = await load(id);
    // Two-person rule: the requester never decides their own request, whatever their roles — nor
    // does whoever created the requester's API key (they hold the requester's credential).
    await refuseSameHolder(deps.sameHolder, rec.principal, approver.id, id);
    if (rec.groups.length > 0 && !rec.groups.some((g) => approver.roles.includes(g)))
      throw new AirlockError('admin_forbidden', {
        detail: `${approver.id} holds none of ${rec.groups.join(', ')}`,
      });
    const at = now();
    if (rec.status !== 'pending' || rec.expiresAt <= at)
      throw new AirlockError('conflict', { detail: `approval ${id} is ${rec.status}, not pending` });
    const cap = Math.min(approvedTtl, ttlCap.get(id) ?? approvedTtl);
    const expiresAt = outcome === 'approved' ? at + cap : at;
    const ok = await deps.repo.decide(id, outcome, approver.id, at, expiresAt, note ?? null);
    if (!ok) throw new AirlockError('conflict', { detail: `approval ${id} was decided concurrently` });
    ttlCap.delete(id);
    const decided = await load(id);
    emit({
      type: outcome === 'approved' ? 'approval.approved' : 'approval.denied',
      id,
      actor: approver.id,
      at,
      binding: bindingOf(rec),
      groups: rec.groups,
      ...(note ? { note } : {}),
    });
    return decided;
  };

  return {
    async request({ binding, groups, requestId, ttlMs }) {
      const at = now();
      const existing = await deps.repo.findPending(binding, at);
      if (existing) return existing;
      const rec: ApprovalRecord = {
        id: newId(),
        ...bindingOf(binding),
        groups: [...new Set(groups)].sort(),
        status: 'pending',
        requestId,
        createdAt: at,
        expiresAt: at + pendingTtl,
        decidedBy: null,
        decidedAt: null,
        note: null,
        consumedAt: null,
      };
      await deps.repo.insert(rec);
      if (ttlMs !== undefined) ttlCap.set(rec.id, ttlMs);
      emit({
        type: 'approval.requested',
        id: rec.id,
        actor: binding.principal,
        at,
        binding,
        groups: rec.groups,
      });
      return rec;
    },
    approve: (id, approver, note) => decide(id, approver, 'approved', note),
    deny: (id, approver, note) => decide(id, approver, 'denied', note),
    get: load,
    list: (filter = {}) => deps.repo.list(filter),
    async check(id, binding) {
      const rec = ID.test(id) ? await deps.repo.get(id) : undefined;
      const reason = !rec
        ? 'unknown'
        : rec.status !== 'approved'
          ? rec.status
          : rec.expiresAt <= now()
            ? 'expired'
            : !sameBinding(rec, binding)
              ? 'binding mismatch'
              : undefined;
      if (reason)
        throw new AirlockError('approval_invalid', { detail: `approval ${id.slice(0, 80)}: ${reason}` });
      return rec!;
    },
    findGranted: (binding) => deps.repo.findGranted(binding, now()),
    async consume(id, binding) {
      const at = now();
      if (!(await deps.repo.consume(id, binding, at)))
        throw new AirlockError('approval_invalid', {
          detail: `approval ${id.slice(0, 80)}: already used or expired`,
        });
      emit({ type: 'approval.consumed', id, actor: binding.principal, at, binding, groups: [] });
    },
    countOpen: () => deps.repo.countOpen(now()),
  };
}

function bindingOf(b: ApprovalBinding): ApprovalBinding {
  return { principal: b.principal, action: b.action, resource: b.resource, argsHash: b.argsHash };
}

function sameBinding(a: ApprovalBinding, b: ApprovalBinding): boolean {
  return (
    a.principal === b.principal &&
    a.action === b.action &&
    a.resource === b.resource &&
    a.argsHash === b.argsHash
  );
}
