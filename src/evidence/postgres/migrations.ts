// Versioned migrations of the PostgreSQL audit tables (prefixed audit_, sharing a database with the
// main store but no tables). Applied under an advisory lock so replicas starting together migrate once.
// Never edit a migration after it lands; add the next version.
import type { PoolClient } from 'pg';

const MIGRATE_LOCK = 727_165_001;

const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE audit_entries (
        idx bigint PRIMARY KEY,
        data bytea NOT NULL,
        request_id text
      );
      CREATE INDEX audit_entries_request ON audit_entries (request_id) WHERE request_id IS NOT NULL;
      -- Hash of every perfect subtree: (level, idx) covers leaves [idx*2^level, (idx+1)*2^level).
      CREATE TABLE audit_nodes (
        level smallint NOT NULL,
        idx bigint NOT NULL,
        hash bytea NOT NULL CHECK (octet_length(hash) = 32),
        PRIMARY KEY (level, idx)
      );
      CREATE TABLE audit_head (
        id integer PRIMARY KEY CHECK (id = 1),
        size bigint NOT NULL,
        root bytea NOT NULL
      );
      INSERT INTO audit_head (id, size, root)
        VALUES (1, 0, '\\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      -- One root per size: the primary key refuses a second checkpoint for a size (no forks).
      CREATE TABLE audit_checkpoints (
        size bigint PRIMARY KEY,
        root bytea NOT NULL,
        note text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE audit_probe (id integer PRIMARY KEY CHECK (id = 1), at timestamptz NOT NULL);
      -- Append-only at the database level too (someone with superuser rights can drop this; the Merkle
      -- tree and the signed checkpoints are what make that evident).
      CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit tables are append-only'; END $$;
      CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();
      CREATE TRIGGER audit_nodes_append_only BEFORE UPDATE OR DELETE ON audit_nodes
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();
      CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();
      CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
      CREATE TRIGGER audit_nodes_no_truncate BEFORE TRUNCATE ON audit_nodes
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
      CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
      -- A checkpoint may only cover entries that are already in the tree.
      CREATE FUNCTION audit_checkpoint_within_tree() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.size > (SELECT size FROM audit_head WHERE id = 1) THEN
            RAISE EXCEPTION 'checkpoint covers entries that do not exist';
          END IF;
          RETURN NEW;
        END $$;
      CREATE TRIGGER audit_checkpoints_within_tree BEFORE INSERT ON audit_checkpoints
        FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_within_tree();
    `,
  },
];

export async function migratePostgres(client: PoolClient): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS audit_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM audit_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO audit_migrations (version) VALUES ($1)', [m.version]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
