// The inventory's own SQLite file, <dataDir>/custody.db (0600, WAL, synchronous=FULL). Version
// records are immutable (a trigger refuses UPDATE and DELETE); states and aliases change, and every
// change is also appended to a history table. A PostgreSQL driver can follow the same contract.
import type Database from 'better-sqlite3';
import { AirlockError } from '../errors.ts';
import { openPrivateSqliteFile } from '../store/private-sqlite-file.ts';
import { createSqliteProposalRepo, PROPOSALS_SCHEMA, type ProposalRepo } from './proposals-sqlite.ts';
import type { ModelState, ModelVersionRecord } from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS model_versions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  digest TEXT NOT NULL,
  record TEXT NOT NULL,
  seq INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS model_versions_immutable_u BEFORE UPDATE ON model_versions
  BEGIN SELECT RAISE(ABORT, 'model versions are immutable'); END;
CREATE TRIGGER IF NOT EXISTS model_versions_immutable_d BEFORE DELETE ON model_versions
  BEGIN SELECT RAISE(ABORT, 'model versions are immutable'); END;
CREATE TABLE IF NOT EXISTS model_states (
  id TEXT PRIMARY KEY REFERENCES model_versions(id),
  state TEXT NOT NULL,
  changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_aliases (
  alias TEXT PRIMARY KEY,
  version_id TEXT NOT NULL REFERENCES model_versions(id),
  changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS custody_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  event TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS custody_history_append_only_u BEFORE UPDATE ON custody_history
  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS custody_history_append_only_d BEFORE DELETE ON custody_history
  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
`;

export interface InventorySnapshot {
  readonly versions: ReadonlyArray<{ record: ModelVersionRecord; state: ModelState; changedAt: string }>;
  readonly aliases: ReadonlyArray<{ alias: string; versionId: string; changedAt: string }>;
}

/** Synchronous on purpose: the serving check is an in-memory lookup refreshed from here. */
export interface InventoryRepo {
  /** A counter that changes whenever any connection committed (PRAGMA data_version + own writes). */
  version(): number;
  load(): InventorySnapshot;
  insert(record: ModelVersionRecord, at: string, event: object): void;
  setState(id: string, expected: ModelState, to: ModelState, at: string, event: object): boolean;
  /** Runs several writes in one transaction. */
  transaction<T>(fn: () => T): T;
  setAlias(alias: string, versionId: string, at: string, event: object): void;
  /** Two-person model changes, in the same database (see proposals.ts). */
  readonly proposals: ProposalRepo;
  close(): void;
}

export function openSqliteInventory(path: string): InventoryRepo {
  let db: Database.Database;
  try {
    db = openPrivateSqliteFile(path, 'FULL');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    db.exec(PROPOSALS_SCHEMA);
  } catch (err) {
    throw new AirlockError('store_unavailable', { detail: `custody: cannot open ${path}`, cause: err });
  }
  const run = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof AirlockError) throw err;
      throw new AirlockError('store_unavailable', {
        detail: `custody: sqlite error: ${(err as Error).message}`,
        cause: err,
      });
    }
  };
  const q = {
    versions: db.prepare(
      'SELECT v.record AS record, s.state AS state, s.changed_at AS changedAt FROM model_versions v JOIN model_states s ON s.id = v.id ORDER BY v.seq',
    ),
    aliases: db.prepare('SELECT alias, version_id AS versionId, changed_at AS changedAt FROM model_aliases'),
    insertVersion: db.prepare(
      'INSERT INTO model_versions (id, name, version, digest, record, seq) VALUES (?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM model_versions))',
    ),
    insertState: db.prepare('INSERT INTO model_states (id, state, changed_at) VALUES (?, ?, ?)'),
    updateState: db.prepare('UPDATE model_states SET state = ?, changed_at = ? WHERE id = ? AND state = ?'),
    upsertAlias: db.prepare(
      'INSERT INTO model_aliases (alias, version_id, changed_at) VALUES (?, ?, ?) ON CONFLICT (alias) DO UPDATE SET version_id = excluded.version_id, changed_at = excluded.changed_at',
    ),
    history: db.prepare('INSERT INTO custody_history (at, event) VALUES (?, ?)'),
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
  };
  let own = 0;
  const proposals = createSqliteProposalRepo(db);
  return {
    proposals: {
      insert: (p) => run(() => proposals.insert(p)),
      get: (id) => run(() => proposals.get(id)),
      list: (status) => run(() => proposals.list(status)),
      decide: (id, to, by, at) => run(() => proposals.decide(id, to, by, at)),
    },
    // Asked on every routed request: a prepared statement, not db.pragma() (which compiles each time).
    version: () => run(() => (q.dataVersion.get() as number) * 1_000_000 + own),
    load: () =>
      run(() => ({
        versions: (q.versions.all() as { record: string; state: ModelState; changedAt: string }[]).map(
          (r) => ({
            record: JSON.parse(r.record) as ModelVersionRecord,
            state: r.state,
            changedAt: r.changedAt,
          }),
        ),
        aliases: q.aliases.all() as { alias: string; versionId: string; changedAt: string }[],
      })),
    insert(record, at, event) {
      run(() =>
        db.transaction(() => {
          q.insertVersion.run(record.id, record.name, record.version, record.digest, JSON.stringify(record));
          q.insertState.run(record.id, 'imported', at);
          q.history.run(at, JSON.stringify(event));
        })(),
      );
      own++;
    },
    setState(id, expected, to, at, event) {
      const ok = run(() =>
        db.transaction(() => {
          if (q.updateState.run(to, at, id, expected).changes !== 1) return false;
          q.history.run(at, JSON.stringify(event));
          return true;
        })(),
      );
      own++;
      return ok;
    },
    setAlias(alias, versionId, at, event) {
      run(() =>
        db.transaction(() => {
          q.upsertAlias.run(alias, versionId, at);
          q.history.run(at, JSON.stringify(event));
        })(),
      );
      own++;
    },
    transaction: (fn) => run(() => db.transaction(fn).immediate()),
    close: () => db.close(),
  };
}
