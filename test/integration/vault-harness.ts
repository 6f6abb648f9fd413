// Databases for the vault and users suites: a migrated SQLite file in a temporary folder, or a fresh
// PostgreSQL database (created and dropped here; never skipped — PostgreSQL at 127.0.0.1:5432).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type StoreConfig } from '../../src/store/open-store.ts';

export interface DbHarness {
  readonly driver: 'sqlite' | 'postgres';
  readonly dataDir: string;
  readonly store: StoreConfig;
  /** Raw SQL against the same database, for tampering and inspection. */
  sql(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  teardown(): Promise<void>;
}

const adminUrl = process.env['AIRLOCK_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createHarness(driver: 'sqlite' | 'postgres'): Promise<DbHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-vault-'));
  if (driver === 'sqlite') {
    const store: StoreConfig = { driver: 'sqlite', path: join(dataDir, 'airlock.db') };
    const s = await openStore(store, { dataDir });
    await s.migrate();
    await s.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(store.path);
    return {
      driver,
      dataDir,
      store,
      async sql(text, values = []) {
        const stmt = db.prepare(text);
        if (stmt.reader) return stmt.all(...values) as Record<string, unknown>[];
        stmt.run(...values);
        return [];
      },
      async teardown() {
        db.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const dbName = `airlock_vault_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${dbName}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const store: StoreConfig = { driver: 'postgres', url: url.toString() };
  const s = await openStore(store, { dataDir });
  await s.migrate();
  await s.close();
  const client = new pg.Client({ connectionString: store.url });
  await client.connect();
  return {
    driver,
    dataDir,
    store,
    async sql(text, values = []) {
      let i = 0;
      return (
        await client.query(
          text.replace(/\?/g, () => `$${++i}`),
          values,
        )
      ).rows;
    },
    async teardown() {
      await client.end();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      } finally {
        await a.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
