// Two-person model custody (P7 + P8): approving a version, activating it and rolling an alias back
// are proposals; a different admin approves, and only then does the inventory change — the proposal
// is marked applied and the change is made in one transaction, so neither exists without the other.
// Suspend, deprecate and revoke are not proposals: they only ever stop serving, and waiting for a
// second person to stop a bad model would be the wrong way round. Every step is an event (audited).
import { randomBytes } from 'node:crypto';
import { AirlockError } from '../errors.ts';
import type { Inventory } from './inventory.ts';
import type { InventoryRepo } from './inventory-sqlite.ts';
import { type CustodyEvent, type ModelVersion, servableStates } from './types.ts';

export const proposalActions = ['approve', 'activate', 'rollback'] as const;
export type ProposalAction = (typeof proposalActions)[number];
export type ProposalStatus = 'proposed' | 'applied' | 'rejected';

export interface ModelProposal {
  readonly id: string;
  readonly action: ProposalAction;
  /** The `name@version` the action is about. */
  readonly version: string;
  /** activate: the alias to point (default: the model name); rollback: the alias to re-point. */
  readonly alias: string | null;
  readonly reason: string | null;
  readonly author: string;
  readonly status: ProposalStatus;
  readonly createdAt: string;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
}

export interface ProposeInput {
  readonly action: ProposalAction;
  readonly version: string;
  readonly alias?: string;
  readonly reason?: string;
}

export interface ModelProposals {
  readonly twoPerson: boolean;
  /** Records a proposal after checking it could apply now. Without two-person custody it is applied
   *  at once, decided by its author. */
  propose(input: ProposeInput, author: string): ModelProposal;
  /** A different person approves: the change is applied; self-approval is refused. */
  approve(id: string, approver: string): { proposal: ModelProposal; version: ModelVersion };
  reject(id: string, actor: string): ModelProposal;
  get(id: string): ModelProposal;
  list(status?: ProposalStatus): ModelProposal[];
}

const ID = /^mpr_[A-Za-z0-9_-]{16,64}$/;

export function createModelProposals(deps: {
  readonly inventory: Inventory;
  readonly repo: InventoryRepo;
  readonly twoPerson: boolean;
  readonly onEvent?: (e: CustodyEvent) => void;
  readonly now?: () => Date;
  readonly newId?: () => string;
}): ModelProposals {
  const { inventory, repo } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? (() => `mpr_${randomBytes(16).toString('base64url')}`);
  const emit = deps.onEvent ?? (() => {});

  const load = (id: string): ModelProposal => {
    const p = ID.test(id) ? repo.proposals.get(id) : undefined;
    if (!p) throw new AirlockError('approval_not_found', { detail: `model proposal ${id.slice(0, 80)}` });
    return p;
  };

  const refuse = (detail: string): never => {
    throw new AirlockError('model_transition_refused', { detail });
  };

  /** Refuses a proposal that could not apply now (so nothing broken reaches an approver). */
  function check(input: ProposeInput): void {
    const v = inventory.get(input.version);
    if (!v) refuse(`no model version ${input.version}`);
    if (input.action === 'approve' && v!.state !== 'imported' && v!.state !== 'suspended')
      refuse(`${v!.id} is ${v!.state}; only an imported or suspended version can be approved`);
    if (input.action === 'activate' && !servableStates.has(v!.state))
      refuse(`${v!.id} is ${v!.state}; only an approved version can be activated`);
    if (input.action === 'rollback') {
      if (!input.alias) refuse('rollback needs the alias to re-point');
      const cur = inventory.resolveAlias(input.alias!);
      if (!cur) refuse(`no alias ${input.alias}`);
      if (cur!.name !== v!.name)
        refuse(`${input.alias} serves ${cur!.name}; rollback only moves between versions of one model`);
      if (!servableStates.has(v!.state))
        refuse(`${v!.id} is ${v!.state}; rollback needs an approved version`);
    }
  }

  function applyChange(p: ModelProposal, actor: string): ModelVersion {
    const by = { actor, ...(p.reason !== null ? { reason: p.reason } : {}) };
    if (p.action === 'approve') return inventory.transition(p.version, 'approved', by);
    if (p.action === 'activate')
      return inventory.activate(p.version, { ...by, ...(p.alias !== null ? { alias: p.alias } : {}) });
    return inventory.rollback(p.alias!, p.version, by);
  }

  function decideAndApply(p: ModelProposal, approver: string): ModelVersion {
    // Mark first, then change, in one IMMEDIATE transaction: a concurrent approval of the same
    // proposal finds it decided, and a refused change leaves it proposed.
    return repo.transaction(() => {
      if (!repo.proposals.decide(p.id, 'applied', approver, now().toISOString()))
        throw new AirlockError('conflict', { detail: `model proposal ${p.id} was decided meanwhile` });
      return applyChange(p, approver);
    });
  }

  return {
    twoPerson: deps.twoPerson,
    propose(input, author) {
      if (!author) throw new AirlockError('invalid_request', { detail: 'author required' });
      check(input);
      const v = inventory.get(input.version)!;
      const p: ModelProposal = {
        id: newId(),
        action: input.action,
        version: v.id,
        alias: input.alias ?? null,
        reason: input.reason ?? null,
        author,
        status: 'proposed',
        createdAt: now().toISOString(),
        decidedBy: null,
        decidedAt: null,
      };
      repo.proposals.insert(p);
      emit({
        type: 'model.proposed',
        proposal: p.id,
        action: p.action,
        id: p.version,
        digest: v.digest,
        alias: p.alias,
        actor: author,
        ...(input.reason !== undefined ? { reason: input.reason } : {}),
      });
      if (!deps.twoPerson) decideAndApply(p, author);
      return load(p.id);
    },
    approve(id, approver) {
      const p = load(id);
      // Two-person rule: the author never approves their own proposal.
      if (deps.twoPerson && approver === p.author)
        throw new AirlockError('self_approval_refused', { detail: `${approver} on ${id}` });
      if (p.status !== 'proposed')
        throw new AirlockError('conflict', { detail: `model proposal ${id} is ${p.status}` });
      const version = decideAndApply(p, approver);
      emit({
        type: 'model.proposal_approved',
        proposal: id,
        action: p.action,
        id: p.version,
        actor: approver,
      });
      return { proposal: load(id), version };
    },
    reject(id, actor) {
      const p = load(id);
      if (!repo.proposals.decide(id, 'rejected', actor, now().toISOString()))
        throw new AirlockError('conflict', { detail: `model proposal ${id} is ${p.status}` });
      emit({ type: 'model.proposal_rejected', proposal: id, action: p.action, id: p.version, actor });
      return load(id);
    },
    get: load,
    list: (status) => repo.proposals.list(status),
  };
}
