// The approved-model inventory (P7). Versions are immutable records; a state machine decides what
// may be loaded or routed to; aliases point to pinned versions and rollback re-points them. Every
// change commits to the repo first and is then emitted (for the audit log). Reads are synchronous
// lookups in memory, refreshed whenever the database changed (this process or another one — the CLI
// revoking a model is seen on the gateway's next request).
import { AirlockError } from '../errors.ts';
import type { InventoryRepo } from './inventory-sqlite.ts';
import {
  allowedTransitions,
  type CustodyActor,
  type CustodyEvent,
  type ModelState,
  type ModelVersion,
  type ModelVersionRecord,
  servableStates,
} from './types.ts';

export interface Inventory {
  /** Adds an imported version (state imported). Refuses a duplicate name@version. */
  add(record: ModelVersionRecord, by: CustodyActor): ModelVersion;
  get(id: string): ModelVersion | undefined;
  list(): ModelVersion[];
  /** Versions with this overall digest or containing a file with this digest. */
  byDigest(digest: string): ModelVersion[];
  /** Moves a version along an allowed transition; refuses anything else. */
  transition(id: string, to: ModelState, by: CustodyActor): ModelVersion;
  /** approved → active, and points `alias` (default: the model name) at it; the version the alias
   *  pointed at before goes back to approved. */
  activate(id: string, by: CustodyActor & { alias?: string }): ModelVersion;
  /** Re-points an alias to an earlier approved or active version of the same model. */
  rollback(alias: string, id: string, by: CustodyActor): ModelVersion;
  aliases(): Record<string, string>;
  resolveAlias(alias: string): ModelVersion | undefined;
  /**
   * Whether an artefact with this digest (file or overall) may be served now: some version holding
   * it is approved or active, and no version holding it is revoked. Synchronous, O(1) after refresh.
   */
  isServable(digest: string): boolean;
  /** Reloads from the repo if anything committed since the last look. Cheap (one PRAGMA). */
  refresh(): void;
  close(): void;
}

export interface InventoryDeps {
  readonly repo: InventoryRepo;
  readonly onEvent?: (e: CustodyEvent) => void;
  readonly now?: () => Date;
}

export function versionId(name: string, version: string): string {
  return `${name}@${version}`;
}

export function createInventory(deps: InventoryDeps): Inventory {
  const { repo } = deps;
  const now = deps.now ?? (() => new Date());
  const emit = deps.onEvent ?? (() => {});
  let versions = new Map<string, ModelVersion>();
  let byDigestIndex = new Map<string, string[]>();
  let aliasMap = new Map<string, string>();
  let seen = -1;

  function reload(): void {
    const snap = repo.load();
    const v = new Map<string, ModelVersion>();
    const idx = new Map<string, string[]>();
    for (const { record, state, changedAt } of snap.versions) {
      v.set(record.id, Object.freeze({ ...record, state, stateChangedAt: changedAt }));
      for (const d of new Set([record.digest, ...record.files.map((f) => f.sha256)])) {
        const list = idx.get(d) ?? [];
        list.push(record.id);
        idx.set(d, list);
      }
    }
    versions = v;
    byDigestIndex = idx;
    aliasMap = new Map(snap.aliases.map((a) => [a.alias, a.versionId]));
    seen = repo.version();
  }

  function refresh(): void {
    if (repo.version() !== seen) reload();
  }

  function must(id: string): ModelVersion {
    refresh();
    const v = versions.get(id);
    if (!v) throw new AirlockError('model_transition_refused', { detail: `no model version ${id}` });
    return v;
  }

  function move(v: ModelVersion, to: ModelState, by: CustodyActor): CustodyEvent {
    if (!allowedTransitions[v.state].includes(to))
      throw new AirlockError('model_transition_refused', {
        detail: `${v.id}: ${v.state} → ${to} is not allowed (from ${v.state}: ${allowedTransitions[v.state].join(', ') || 'nothing, it is final'})`,
      });
    const event: CustodyEvent = {
      type: 'model.transition',
      id: v.id,
      digest: v.digest,
      from: v.state,
      to,
      actor: by.actor,
      ...(by.reason !== undefined ? { reason: by.reason } : {}),
    };
    if (!repo.setState(v.id, v.state, to, now().toISOString(), event))
      throw new AirlockError('model_transition_refused', {
        detail: `${v.id} changed concurrently; look again and retry`,
      });
    return event;
  }

  function repoint(alias: string, target: ModelVersion, rollback: boolean, by: CustodyActor): CustodyEvent[] {
    const events: CustodyEvent[] = [];
    const previous = aliasMap.get(alias);
    if (target.state === 'approved') events.push(move(target, 'active', by));
    const old = previous !== undefined && previous !== target.id ? versions.get(previous) : undefined;
    // The version the alias leaves stays approved (so it can be rolled back to) unless it still
    // backs another alias.
    const stillUsed = [...aliasMap].some(([a, id]) => a !== alias && id === old?.id);
    if (old && old.state === 'active' && !stillUsed) events.push(move(old, 'approved', by));
    const aliasEvent: CustodyEvent = {
      type: 'model.alias',
      alias,
      from: previous ?? null,
      to: target.id,
      rollback,
      actor: by.actor,
      ...(by.reason !== undefined ? { reason: by.reason } : {}),
    };
    repo.setAlias(alias, target.id, now().toISOString(), aliasEvent);
    events.push(aliasEvent);
    return events;
  }

  function publish(events: readonly CustodyEvent[]): void {
    reload();
    for (const e of events) emit(e);
  }

  reload();
  return {
    add(record, by) {
      refresh();
      if (versions.has(record.id))
        throw new AirlockError('model_import_refused', {
          detail: `${record.id} already exists; versions are immutable, import it under a new version`,
        });
      const event: CustodyEvent = {
        type: 'model.imported',
        id: record.id,
        digest: record.digest,
        signedBy: record.signedBy,
        actor: by.actor,
        templateFindings: record.templateFindings.length,
      };
      try {
        repo.insert(record, now().toISOString(), event);
      } catch (err) {
        throw new AirlockError('model_import_refused', {
          detail: `${record.id}: could not record (already imported?)`,
          cause: err,
        });
      }
      publish([event]);
      return versions.get(record.id)!;
    },
    get(id) {
      refresh();
      return versions.get(id);
    },
    list() {
      refresh();
      return [...versions.values()];
    },
    byDigest(digest) {
      refresh();
      return (byDigestIndex.get(digest) ?? []).map((id) => versions.get(id)!);
    },
    transition(id, to, by) {
      const v = must(id);
      if (to === 'active')
        throw new AirlockError('model_transition_refused', {
          detail: 'use activate, which also points an alias at the version',
        });
      // An alias pointing at a version that stops serving stays (so rollback can re-point it); the
      // serving check refuses the version it resolves to from the next request on.
      const events = [move(v, to, by)];
      publish(events);
      return versions.get(id)!;
    },
    activate(id, by) {
      const v = must(id);
      if (v.state !== 'approved' && v.state !== 'active')
        throw new AirlockError('model_transition_refused', {
          detail: `${id} is ${v.state}; only an approved version can be activated`,
        });
      const events = repo.transaction(() => repoint(by.alias ?? v.name, v, false, by));
      publish(events);
      return versions.get(id)!;
    },
    rollback(alias, id, by) {
      const v = must(id);
      const current = aliasMap.get(alias);
      if (current === undefined)
        throw new AirlockError('model_transition_refused', { detail: `no alias ${alias}` });
      const cur = versions.get(current);
      if (cur && cur.name !== v.name)
        throw new AirlockError('model_transition_refused', {
          detail: `${alias} serves ${cur.name}; rollback only moves between versions of one model`,
        });
      if (!servableStates.has(v.state))
        throw new AirlockError('model_transition_refused', {
          detail: `${id} is ${v.state}; rollback needs an approved version`,
        });
      const events = repo.transaction(() => repoint(alias, v, true, by));
      publish(events);
      return versions.get(id)!;
    },
    aliases() {
      refresh();
      return Object.fromEntries(aliasMap);
    },
    resolveAlias(alias) {
      refresh();
      const id = aliasMap.get(alias);
      return id === undefined ? undefined : versions.get(id);
    },
    isServable(digest) {
      refresh();
      const ids = byDigestIndex.get(digest);
      if (!ids) return false;
      let ok = false;
      for (const id of ids) {
        const s = versions.get(id)!.state;
        if (s === 'revoked') return false; // a revoked artefact is refused whatever else holds it
        if (servableStates.has(s)) ok = true;
      }
      return ok;
    },
    refresh,
    close: () => repo.close(),
  };
}
