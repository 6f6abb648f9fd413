// Two-person changes over a ChangeRepo: propose (validated, diffed against the current version),
// approve by a different person (applies atomically onto the base it was diffed against), reject,
// roll back (a proposal of an earlier version's content). Every step emits an event for the audit
// log. Applying returns the new version's text; the caller hot-swaps it (for policies: rebuild the
// decision point from `content`, version `policy-v<n>`).
import { createHash, randomBytes } from 'node:crypto';
import { AirlockError } from '../../errors.ts';
import { refuseSameHolder, type SameHolder } from '../key-lineage.ts';
import { unifiedDiff } from './diff.ts';
import type {
  ChangeEvent,
  ChangeKind,
  ChangeRecord,
  ChangeRepo,
  ChangeStatus,
  VersionRecord,
} from './types.ts';

export interface ChangeServiceDeps {
  readonly repo: ChangeRepo;
  readonly now?: () => number;
  /** Rejects content that would not load (a policy that does not compile, config that fails its
   *  schema) by throwing; runs at proposal time, so nothing broken reaches an approver. */
  readonly validate?: (kind: ChangeKind, content: string) => void | Promise<void>;
  /** Called after a change is applied (hot-swap); a throw here is reported, the version stays.
   *  What it returns is the change's effect (for config: live fields, restartRequired, restart fields). */
  readonly onApplied?: (version: VersionRecord) => unknown;
  readonly onEvent?: (event: ChangeEvent) => void;
  readonly newId?: () => string;
  /** Principals that count as one person (the approver created the author's API key, or vice versa). */
  readonly sameHolder?: SameHolder;
}

export interface ChangeService {
  /** Records `content` as version 1 when the kind has none (the file the node started with). */
  adopt(kind: ChangeKind, content: string, actor: string): Promise<VersionRecord>;
  proposeChange(input: {
    kind: ChangeKind;
    content: string;
    author: string;
    note?: string;
  }): Promise<ChangeRecord>;
  /** A proposal whose content is version `toVersion`'s. */
  proposeRollback(input: {
    kind: ChangeKind;
    toVersion: number;
    author: string;
    note?: string;
  }): Promise<ChangeRecord>;
  approveChange(
    id: string,
    approver: string,
  ): Promise<{ change: ChangeRecord; version: VersionRecord; effect?: Record<string, unknown> }>;
  rejectChange(id: string, actor: string): Promise<ChangeRecord>;
  getChange(id: string): Promise<ChangeRecord>;
  listChanges(filter?: { kind?: ChangeKind; status?: ChangeStatus; limit?: number }): Promise<ChangeRecord[]>;
  history(kind?: ChangeKind): Promise<VersionRecord[]>;
  currentVersion(kind: ChangeKind): Promise<VersionRecord | undefined>;
}

const ID = /^chg_[A-Za-z0-9_-]{16,64}$/;
const MAX_CONTENT = 1_048_576;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

export function createChangeService(deps: ChangeServiceDeps): ChangeService {
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? (() => `chg_${randomBytes(16).toString('base64url')}`);
  const emit = (e: ChangeEvent) => deps.onEvent?.(e);

  const load = async (id: string): Promise<ChangeRecord> => {
    const c = ID.test(id) ? await deps.repo.get(id) : undefined;
    if (!c) throw new AirlockError('approval_not_found', { detail: `change ${id.slice(0, 80)}` });
    return c;
  };

  const propose = async (
    kind: ChangeKind,
    content: string,
    author: string,
    note: string | undefined,
    rollbackOf: number | null,
  ): Promise<ChangeRecord> => {
    if (kind !== 'policy' && kind !== 'config')
      throw new AirlockError('invalid_request', { detail: `unknown change kind ${String(kind)}` });
    if (typeof content !== 'string' || content.length > MAX_CONTENT)
      throw new AirlockError('invalid_request', { detail: 'content must be a string of at most 1 MiB' });
    if (!author) throw new AirlockError('invalid_request', { detail: 'author required' });
    try {
      await deps.validate?.(kind, content);
    } catch (err) {
      if (err instanceof AirlockError) throw err;
      throw new AirlockError('invalid_request', {
        detail: `${kind} does not load: ${(err as Error).message}`,
        cause: err,
      });
    }
    const cur = await deps.repo.current(kind);
    const base = cur?.version ?? 0;
    if (cur && cur.content === content)
      throw new AirlockError('conflict', { detail: `${kind} v${base} already has this content` });
    const at = now();
    const c: ChangeRecord = {
      id: newId(),
      kind,
      baseVersion: base,
      content,
      diff: unifiedDiff(cur?.content ?? '', content, { from: `${kind} v${base}`, to: `${kind} proposed` }),
      author,
      note: note ?? null,
      rollbackOf,
      status: 'proposed',
      createdAt: at,
      decidedBy: null,
      decidedAt: null,
      appliedVersion: null,
    };
    await deps.repo.insert(c);
    emit({
      type: 'change.proposed',
      id: c.id,
      kind,
      actor: author,
      at,
      baseVersion: base,
      sha256: sha256(content),
      ...(rollbackOf !== null ? { rollbackOf } : {}),
    });
    return c;
  };

  return {
    async adopt(kind, content, actor) {
      const v: VersionRecord = {
        kind,
        version: 1,
        content,
        sha256: sha256(content),
        changeId: null,
        author: actor,
        approver: null,
        appliedAt: now(),
      };
      if (await deps.repo.adopt(v)) {
        emit({
          type: 'change.baseline',
          id: null,
          kind,
          actor,
          at: v.appliedAt,
          version: 1,
          sha256: v.sha256,
        });
        return v;
      }
      return (await deps.repo.current(kind))!;
    },
    proposeChange: ({ kind, content, author, note }) => propose(kind, content, author, note, null),
    async proposeRollback({ kind, toVersion, author, note }) {
      const old = await deps.repo.version(kind, toVersion);
      if (!old) throw new AirlockError('approval_not_found', { detail: `${kind} v${toVersion}` });
      return propose(kind, old.content, author, note ?? `rollback to v${toVersion}`, toVersion);
    },
    async approveChange(id, approver) {
      const c = await load(id);
      // Two-person rule: the author never approves their own change, nor does someone who created the
      // author's API key or whose own key the author created (one person holding two credentials).
      await refuseSameHolder(deps.sameHolder, c.author, approver, id);
      if (c.status !== 'proposed')
        throw new AirlockError('conflict', { detail: `change ${id} is ${c.status}` });
      const at = now();
      const v = await deps.repo.apply(id, approver, at, sha256(c.content));
      if (!v)
        throw new AirlockError('conflict', {
          detail: `change ${id} no longer applies (its base v${c.baseVersion} is not current); propose again`,
        });
      emit({ type: 'change.approved', id, kind: c.kind, actor: approver, at, baseVersion: c.baseVersion });
      emit({
        type: 'change.applied',
        id,
        kind: c.kind,
        actor: approver,
        at,
        version: v.version,
        sha256: v.sha256,
      });
      const returned = await deps.onApplied?.(v);
      const effect =
        returned !== null && typeof returned === 'object' ? (returned as Record<string, unknown>) : undefined;
      return { change: await load(id), version: v, ...(effect ? { effect } : {}) };
    },
    async rejectChange(id, actor) {
      const c = await load(id);
      if (!(await deps.repo.reject(id, actor, now())))
        throw new AirlockError('conflict', { detail: `change ${id} is ${c.status}` });
      emit({ type: 'change.rejected', id, kind: c.kind, actor, at: now() });
      return load(id);
    },
    getChange: load,
    listChanges: (filter = {}) => deps.repo.list(filter),
    history: (kind) => deps.repo.history(kind),
    currentVersion: (kind) => deps.repo.current(kind),
  };
}
