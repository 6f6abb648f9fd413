// The witness's durable memory: per log origin, the latest checkpoint it cosigned. SQLite with
// synchronous=FULL, so a committed head is on disk before the cosignature leaves the process
// (tlog-witness: "MUST persist the new checkpoint before responding"). `advance` runs the check and
// the write in one BEGIN IMMEDIATE transaction: without that, a slow request for size N could land
// after a faster one for N+K and roll the stored head back (the race spelled out in tlog-witness).
// Forks (two signed roots for one size) are kept as evidence of log misbehaviour.
import Database from 'better-sqlite3';

export interface WitnessHead {
  readonly size: number;
  readonly root: Uint8Array;
  /** The checkpoint note last cosigned (empty when none). */
  readonly note: string;
}

export interface ForkEvidence {
  readonly origin: string;
  readonly size: number;
  readonly note: string;
  readonly conflictingNote: string;
  readonly seenAt: string;
}

/** What `decide` returns: store a new head (and answer), or leave the state as it is. */
export type Decision<T> = { readonly store?: WitnessHead; readonly fork?: string; readonly result: T };

export interface WitnessState {
  head(origin: string): WitnessHead | undefined;
  /**
   * Atomically read the head of `origin`, call `decide` (which MUST be synchronous and pure), and
   * durably store its new head, if any, before returning. Concurrent callers are serialized.
   */
  advance<T>(origin: string, decide: (head: WitnessHead | undefined) => Decision<T>): T;
  forks(): ForkEvidence[];
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS witness_heads (
  origin TEXT PRIMARY KEY,
  size INTEGER NOT NULL CHECK (size >= 0),
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS witness_forks (
  origin TEXT NOT NULL,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  conflicting_note TEXT NOT NULL,
  seen_at TEXT NOT NULL,
  PRIMARY KEY (origin, size, conflicting_note)
) STRICT;
`;

export function openWitnessState(path: string): WitnessState {
  const db = new Database(path, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);
  const q = {
    head: db.prepare('SELECT size, root, note FROM witness_heads WHERE origin = ?'),
    upsert: db.prepare(
      `INSERT INTO witness_heads (origin, size, root, note, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,
         note = excluded.note, updated_at = excluded.updated_at`,
    ),
    fork: db.prepare(
      `INSERT INTO witness_forks (origin, size, root, note, conflicting_note, seen_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    forks: db.prepare(
      'SELECT origin, size, note, conflicting_note, seen_at FROM witness_forks ORDER BY seen_at',
    ),
  };
  const read = (origin: string): WitnessHead | undefined => {
    const row = q.head.get(origin) as { size: number; root: Buffer; note: string } | undefined;
    return row && { size: row.size, root: row.root, note: row.note };
  };
  return {
    head: read,
    advance(origin, decide) {
      const tx = db.transaction(() => {
        const head = read(origin);
        const d = decide(head);
        const now = new Date().toISOString();
        if (d.store !== undefined) {
          q.upsert.run(origin, d.store.size, Buffer.from(d.store.root), d.store.note, now);
        }
        if (d.fork !== undefined && head !== undefined) {
          q.fork.run(origin, head.size, Buffer.from(head.root), head.note, d.fork, now);
        }
        return d.result;
      });
      return tx.immediate();
    },
    forks() {
      const rows = q.forks.all() as {
        origin: string;
        size: number;
        note: string;
        conflicting_note: string;
        seen_at: string;
      }[];
      return rows.map((r) => ({
        origin: r.origin,
        size: r.size,
        note: r.note,
        conflictingNote: r.conflicting_note,
        seenAt: r.seen_at,
      }));
    },
    close() {
      db.close();
    },
  };
}
