// Versioned migrations of the SQLite audit database (its own file, e.g. <dataDir>/audit.db). Never edit
// a migration after it lands; add the next version.
import type Database from 'better-sqlite3';

const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE audit_entries (
        idx INTEGER PRIMARY KEY,
        data BLOB NOT NULL,
        request_id TEXT
      );
      CREATE INDEX audit_entries_request ON audit_entries (request_id) WHERE request_id IS NOT NULL;
      -- Hash of every perfect subtree: (level, idx) covers leaves [idx*2^level, (idx+1)*2^level).
      CREATE TABLE audit_nodes (
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        hash BLOB NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, idx)
      ) WITHOUT ROWID;
      CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        size INTEGER NOT NULL,
        root BLOB NOT NULL
      );
      INSERT INTO audit_head (id, size, root) VALUES (1, 0, x'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      -- One root per size: the primary key refuses a second checkpoint for a size (no forks).
      CREATE TABLE audit_checkpoints (
        size INTEGER PRIMARY KEY,
        root BLOB NOT NULL,
        note TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE audit_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);
      -- Append-only at the database level too: accidental UPDATE/DELETE is refused. (Someone with the
      -- file can drop these; the Merkle tree and signed checkpoints are what make that evident.)
      CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
      CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
      CREATE TRIGGER audit_nodes_no_update BEFORE UPDATE ON audit_nodes BEGIN SELECT RAISE(ABORT, 'audit nodes are append-only'); END;
      CREATE TRIGGER audit_nodes_no_delete BEFORE DELETE ON audit_nodes BEGIN SELECT RAISE(ABORT, 'audit nodes are append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
      -- A checkpoint may only cover entries that are already in the tree.
      CREATE TRIGGER audit_checkpoints_within_tree BEFORE INSERT ON audit_checkpoints
        WHEN NEW.size > (SELECT size FROM audit_head WHERE id = 1)
        BEGIN SELECT RAISE(ABORT, 'checkpoint covers entries that do not exist'); END;
    `,
  },
];

export function migrateSqlite(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS audit_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM audit_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO audit_migrations (version, applied_at) VALUES (?, ?)').run(
        m.version,
        new Date().toISOString(),
      );
    }).immediate();
  }
}
