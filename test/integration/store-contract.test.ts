// One contract suite, run against every store driver (STYLE 11). None is skipped: if PostgreSQL is not
// reachable the PostgreSQL suite fails loudly in `before`.
//
// Every case gets its own empty database (SQLite: a new file; PostgreSQL: a new schema, selected with
// search_path, inside one database created for this run), so cases never see each other's rows.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { AirlockError } from '../../src/errors.ts';
import { openPostgresStore } from '../../src/store/postgres-store.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { NewApiKey, Store } from '../../src/store/types.ts';

/** One isolated, empty database. `open` may be called several times: each call is another "replica". */
interface FreshDatabase {
  open(): Promise<Store>;
  /** Overwrites the recorded checksum of migration 1, as if its file had been edited after landing. */
  tamperMigrationChecksum(): Promise<void>;
  /** SQLite only: the database file. */
  readonly file?: string;
}

interface Harness {
  setup(): Promise<void>;
  teardown(): Promise<void>;
  fresh(): Promise<FreshDatabase>;
}

function sqliteHarness(): Harness {
  let dir = '';
  let n = 0;
  return {
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'airlock-store-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    async fresh() {
      const file = join(dir, `case-${++n}`, 'airlock.db');
      return {
        file,
        open: () => openSqliteStore({ path: file }),
        async tamperMigrationChecksum() {
          const db = new Database(file);
          db.prepare("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1").run();
          db.close();
        },
      };
    },
  };
}

function postgresHarness(): Harness {
  const adminUrl = process.env['AIRLOCK_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `airlock_store_${process.pid}_${randomBytes(4).toString('hex')}`;
  const testDbUrl = new URL(adminUrl);
  testDbUrl.pathname = `/${dbName}`;
  let client: pg.Client | undefined;
  let created = false;
  let n = 0;
  return {
    async setup() {
      const admin = new pg.Client({ connectionString: adminUrl });
      try {
        await admin.connect();
      } catch (err) {
        throw new Error(
          `PostgreSQL contract suite cannot reach ${adminUrl} (${(err as Error).message}). ` +
            'Start PostgreSQL or set AIRLOCK_TEST_PG_URL; this suite is never skipped.',
        );
      }
      try {
        await admin.query(`CREATE DATABASE ${dbName}`);
        created = true;
      } finally {
        await admin.end();
      }
      client = new pg.Client({ connectionString: testDbUrl.toString() });
      await client.connect();
    },
    async teardown() {
      await client?.end();
      // Setup already failed loudly; a second connection error here would only bury its message.
      if (!created) return;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
    async fresh() {
      const schema = `case_${++n}`;
      await client!.query(`CREATE SCHEMA ${schema}`);
      const url = new URL(testDbUrl);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return {
        open: () => openPostgresStore({ url: url.toString() }),
        async tamperMigrationChecksum() {
          await client!.query(
            `UPDATE ${schema}.schema_migrations SET checksum = 'tampered' WHERE version = 1`,
          );
        },
      };
    },
  };
}

let keySeq = 0;
function newKey(overrides: Partial<NewApiKey> = {}): NewApiKey {
  const id = overrides.id ?? `key_${++keySeq}_${randomUUID()}`;
  return {
    id,
    prefix: `ak_live_${id.slice(-4)}`,
    hash: randomBytes(32).toString('hex'),
    owner: 'alice',
    kind: 'client',
    models: ['*'],
    endpoints: ['chat', 'embeddings'],
    createdAt: new Date('2030-01-01T00:00:00.000Z'),
    expiresAt: new Date('2030-04-01T00:00:00.000Z'),
    ...overrides,
  };
}

function isCode(code: AirlockError['code']) {
  return (err: unknown) => err instanceof AirlockError && err.code === code;
}

function defineStoreContract(harness: Harness): void {
  const stores: Store[] = [];
  before(() => harness.setup());
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await harness.teardown();
  });

  async function migrated(db?: FreshDatabase): Promise<Store> {
    const store = await (db ?? (await harness.fresh())).open();
    stores.push(store);
    await store.migrate();
    return store;
  }

  it('insert then find by hash and get by id return the stored record', async () => {
    const store = await migrated();
    const key = newKey({ kind: 'admin', models: ['gpt-small', 'embed'], endpoints: ['*'] });
    await store.insertApiKey(key);
    const expected = { ...key, revokedAt: null, replacedBy: null, lastUsedAt: null, createdBy: null };
    assert.deepEqual(await store.findApiKeyByHash(key.hash), expected);
    assert.deepEqual(await store.getApiKey(key.id), expected);
    assert.equal(await store.findApiKeyByHash('0'.repeat(64)), undefined);
    assert.equal(await store.getApiKey('no-such-key'), undefined);
  });

  it('models and endpoints round-trip, including awkward strings and empty lists', async () => {
    const store = await migrated();
    const models = ['a,b', 'quote"d', "it's", '{braces}', 'back\\slash', 'ünï', 'NULL', ''];
    const key = newKey({ models, endpoints: [] });
    await store.insertApiKey(key);
    const found = await store.getApiKey(key.id);
    assert.deepEqual(found?.models, models);
    assert.deepEqual(found?.endpoints, []);
  });

  it('dates round-trip exactly at millisecond precision', async () => {
    const store = await migrated();
    const key = newKey({
      createdAt: new Date('1999-12-31T23:59:59.999Z'),
      expiresAt: new Date('2999-06-15T12:34:56.789Z'),
    });
    await store.insertApiKey(key);
    await store.touchApiKey(key.id, new Date('2031-02-03T04:05:06.007Z'));
    await store.revokeApiKey(key.id, new Date('2031-02-03T04:05:06.008Z'));
    const found = await store.getApiKey(key.id);
    assert.ok(found?.createdAt instanceof Date);
    assert.equal(found.createdAt.toISOString(), '1999-12-31T23:59:59.999Z');
    assert.equal(found.expiresAt.toISOString(), '2999-06-15T12:34:56.789Z');
    assert.equal(found.lastUsedAt?.toISOString(), '2031-02-03T04:05:06.007Z');
    assert.equal(found.revokedAt?.toISOString(), '2031-02-03T04:05:06.008Z');
  });

  it('duplicate id → conflict, and the rejected insert leaves nothing behind', async () => {
    const store = await migrated();
    const first = newKey();
    await store.insertApiKey(first);
    const clash = newKey({ id: first.id });
    await assert.rejects(store.insertApiKey(clash), isCode('conflict'));
    assert.equal(await store.findApiKeyByHash(clash.hash), undefined);
    assert.equal((await store.listApiKeys({ includeRevoked: true })).length, 1);
  });

  it('duplicate hash → conflict', async () => {
    const store = await migrated();
    const first = newKey();
    await store.insertApiKey(first);
    const clash = newKey({ hash: first.hash });
    await assert.rejects(store.insertApiKey(clash), isCode('conflict'));
    assert.equal(await store.getApiKey(clash.id), undefined);
  });

  it('list: ordered by createdAt, filtered by owner, revoked only with includeRevoked', async () => {
    const store = await migrated();
    const at = (day: number) => new Date(Date.UTC(2030, 0, day));
    const c = newKey({ owner: 'alice', createdAt: at(3) });
    const a = newKey({ owner: 'alice', createdAt: at(1) });
    const bob = newKey({ owner: 'bob', createdAt: at(2) });
    const revoked = newKey({ owner: 'alice', createdAt: at(4) });
    for (const key of [c, a, bob, revoked]) await store.insertApiKey(key);
    await store.revokeApiKey(revoked.id, at(5));
    const ids = (keys: { id: string }[]) => keys.map((k) => k.id);
    assert.deepEqual(ids(await store.listApiKeys()), [a.id, bob.id, c.id]);
    assert.deepEqual(ids(await store.listApiKeys({ owner: 'alice' })), [a.id, c.id]);
    assert.deepEqual(ids(await store.listApiKeys({ owner: 'alice', includeRevoked: true })), [
      a.id,
      c.id,
      revoked.id,
    ]);
    assert.deepEqual(ids(await store.listApiKeys({ includeRevoked: true })), [
      a.id,
      bob.id,
      c.id,
      revoked.id,
    ]);
    assert.deepEqual(await store.listApiKeys({ owner: 'nobody' }), []);
  });

  it('revoke: true the first time, false when already revoked or unknown', async () => {
    const store = await migrated();
    const key = newKey();
    await store.insertApiKey(key);
    const first = new Date('2030-02-01T00:00:00.001Z');
    assert.equal(await store.revokeApiKey(key.id, first), true);
    assert.equal(await store.revokeApiKey(key.id, new Date('2030-03-01T00:00:00.000Z')), false);
    assert.equal(await store.revokeApiKey('no-such-key', first), false);
    assert.deepEqual((await store.getApiKey(key.id))?.revokedAt, first);
  });

  it('rotate: inserts the new key and shortens the old expiry to the overlap, marking it replaced', async () => {
    const store = await migrated();
    const old = newKey({ expiresAt: new Date('2030-04-01T00:00:00.000Z') });
    await store.insertApiKey(old);
    const next = newKey({ createdBy: 'rotator' });
    const overlapUntil = new Date('2030-01-08T00:00:00.000Z');
    assert.equal(await store.rotateApiKey(old.id, next, overlapUntil), true);
    const oldAfter = await store.getApiKey(old.id);
    assert.equal(oldAfter?.replacedBy, next.id);
    assert.deepEqual(oldAfter?.expiresAt, overlapUntil);
    assert.equal(oldAfter?.revokedAt, null);
    assert.deepEqual(await store.findApiKeyByHash(next.hash), {
      ...next,
      revokedAt: null,
      replacedBy: null,
      lastUsedAt: null,
    });
  });

  it('rotate: an overlap later than the old expiry keeps the old expiry', async () => {
    const store = await migrated();
    const old = newKey({ expiresAt: new Date('2030-01-05T00:00:00.000Z') });
    await store.insertApiKey(old);
    assert.equal(await store.rotateApiKey(old.id, newKey(), new Date('2030-06-01T00:00:00.000Z')), true);
    assert.deepEqual((await store.getApiKey(old.id))?.expiresAt, old.expiresAt);
  });

  it('rotate: a revoked or missing old key → false and nothing is inserted', async () => {
    const store = await migrated();
    const old = newKey();
    await store.insertApiKey(old);
    await store.revokeApiKey(old.id, new Date('2030-01-02T00:00:00.000Z'));
    const next = newKey();
    assert.equal(await store.rotateApiKey(old.id, next, new Date('2030-01-03T00:00:00.000Z')), false);
    assert.equal(await store.rotateApiKey('no-such-key', next, new Date('2030-01-03T00:00:00.000Z')), false);
    assert.equal(await store.getApiKey(next.id), undefined);
    assert.equal(await store.findApiKeyByHash(next.hash), undefined);
    assert.equal((await store.getApiKey(old.id))?.replacedBy, null);
  });

  it('rotate: a conflicting new key → conflict and the old key is left untouched', async () => {
    const store = await migrated();
    const old = newKey();
    const other = newKey();
    await store.insertApiKey(old);
    await store.insertApiKey(other);
    const next = newKey({ hash: other.hash });
    await assert.rejects(
      store.rotateApiKey(old.id, next, new Date('2030-01-03T00:00:00.000Z')),
      isCode('conflict'),
    );
    const oldAfter = await store.getApiKey(old.id);
    assert.equal(oldAfter?.replacedBy, null);
    assert.deepEqual(oldAfter?.expiresAt, old.expiresAt);
    assert.equal(await store.getApiKey(next.id), undefined);
  });

  it('createdBy: round-trips (null when omitted) and listApiKeysCreatedBy finds every key, revoked too', async () => {
    const store = await migrated();
    const at = (day: number) => new Date(Date.UTC(2030, 0, day));
    const unknown = newKey({ owner: 'alt', createdAt: at(1) });
    const minted = newKey({ owner: 'alt', createdBy: 'root-admin', createdAt: at(3) });
    const revoked = newKey({ owner: 'alt', createdBy: 'root-admin', createdAt: at(2) });
    const other = newKey({ owner: 'alt', createdBy: 'cli:ops', createdAt: at(4) });
    const elsewhere = newKey({ owner: 'bob', createdBy: 'root-admin', createdAt: at(5) });
    for (const key of [unknown, minted, revoked, other, elsewhere]) await store.insertApiKey(key);
    await store.revokeApiKey(revoked.id, at(6));
    assert.equal((await store.getApiKey(unknown.id))?.createdBy, null);
    assert.equal((await store.getApiKey(minted.id))?.createdBy, 'root-admin');
    const ids = (keys: { id: string }[]) => keys.map((k) => k.id);
    assert.deepEqual(ids(await store.listApiKeysCreatedBy('alt', 'root-admin')), [revoked.id, minted.id]);
    assert.deepEqual(ids(await store.listApiKeysCreatedBy('alt', 'cli:ops')), [other.id]);
    assert.deepEqual(await store.listApiKeysCreatedBy('alt', 'nobody'), []);
    assert.deepEqual(await store.listApiKeysCreatedBy('root-admin', 'alt'), []);
  });

  it('touch: records lastUsedAt and never moves it backwards', async () => {
    const store = await migrated();
    const key = newKey();
    await store.insertApiKey(key);
    const later = new Date('2030-01-02T00:00:00.500Z');
    await store.touchApiKey(key.id, later);
    await store.touchApiKey(key.id, new Date('2030-01-01T00:00:00.000Z'));
    assert.deepEqual((await store.getApiKey(key.id))?.lastUsedAt, later);
    await store.touchApiKey('no-such-key', later);
  });

  it('token usage: 0 when absent; scopes and days are independent', async () => {
    const store = await migrated();
    assert.equal(await store.getTokenUsage('key1:gpt', '2030-01-01'), 0);
    await store.addTokenUsage('key1:gpt', '2030-01-01', 120);
    await store.addTokenUsage('key1:gpt', '2030-01-01', 5);
    await store.addTokenUsage('key1:gpt', '2030-01-02', 7);
    await store.addTokenUsage('key2:gpt', '2030-01-01', 9);
    assert.equal(await store.getTokenUsage('key1:gpt', '2030-01-01'), 125);
    assert.equal(await store.getTokenUsage('key1:gpt', '2030-01-02'), 7);
    assert.equal(await store.getTokenUsage('key2:gpt', '2030-01-01'), 9);
  });

  it('a key or usage changed by another replica or by this store is seen by the very next read', async () => {
    const db = await harness.fresh();
    const a = await migrated(db);
    const b = await migrated(db);
    const key = newKey();
    await a.insertApiKey(key);
    // Warm whatever a caches, then change the rows elsewhere: a revoke must take effect at once.
    assert.equal((await a.findApiKeyByHash(key.hash))?.revokedAt, null);
    assert.equal(await a.getTokenUsage('k:m', '2030-01-01'), 0);
    const at = new Date('2030-02-01T00:00:00.000Z');
    assert.equal(await b.revokeApiKey(key.id, at), true);
    await b.addTokenUsage('k:m', '2030-01-01', 11);
    assert.deepEqual((await a.findApiKeyByHash(key.hash))?.revokedAt, at);
    assert.equal(await a.getTokenUsage('k:m', '2030-01-01'), 11);
    // And this store's own writes.
    const other = newKey();
    await a.insertApiKey(other);
    assert.equal((await a.findApiKeyByHash(other.hash))?.lastUsedAt, null);
    await a.touchApiKey(other.id, at);
    assert.deepEqual((await a.findApiKeyByHash(other.hash))?.lastUsedAt, at);
    assert.equal(await a.revokeApiKey(other.id, at), true);
    assert.deepEqual((await a.findApiKeyByHash(other.hash))?.revokedAt, at);
    await a.addTokenUsage('k:m', '2030-01-01', 4);
    assert.equal(await a.getTokenUsage('k:m', '2030-01-01'), 15);
  });

  it('token usage: 200 concurrent increments from two replicas all count', async () => {
    const db = await harness.fresh();
    const a = await migrated(db);
    const b = await migrated(db);
    const adds = Array.from({ length: 200 }, (_, i) =>
      (i % 2 === 0 ? a : b).addTokenUsage('k:m', '2030-01-01', 3),
    );
    await Promise.all(adds);
    assert.equal(await a.getTokenUsage('k:m', '2030-01-01'), 600);
    assert.equal(await b.getTokenUsage('k:m', '2030-01-01'), 600);
  });

  it('migrate is idempotent, also when two replicas migrate one database at once', async () => {
    const db = await harness.fresh();
    const a = await db.open();
    const b = await db.open();
    stores.push(a, b);
    await Promise.all([a.migrate(), b.migrate()]);
    await a.migrate();
    const key = newKey();
    await a.insertApiKey(key);
    await a.migrate();
    assert.equal((await b.getApiKey(key.id))?.id, key.id);
  });

  it('a migration whose checksum changed after it was applied stops start-up', async () => {
    const db = await harness.fresh();
    await migrated(db);
    await db.tamperMigrationChecksum();
    const restarted = await db.open();
    stores.push(restarted);
    await assert.rejects(restarted.migrate(), (err: unknown) => {
      assert.ok(err instanceof AirlockError && err.code === 'store_unavailable');
      assert.match(err.detail ?? '', /0001_init was changed after it was applied/);
      return true;
    });
  });

  it('ping is true while open; after close ping is false and calls → store_unavailable', async () => {
    const store = await migrated();
    assert.equal(await store.ping(), true);
    await store.close();
    await store.close();
    assert.equal(await store.ping(), false);
    await assert.rejects(store.getTokenUsage('k', '2030-01-01'), isCode('store_unavailable'));
  });
}

describe('store contract: sqlite', () => {
  const harness = sqliteHarness();
  defineStoreContract(harness);

  it('sqlite: a revoke written straight to the file (another process, the CLI) is seen by the next read', async () => {
    const db = await harness.fresh();
    const store = await db.open();
    await store.migrate();
    const key = newKey();
    try {
      await store.insertApiKey(key);
      assert.equal((await store.findApiKeyByHash(key.hash))?.revokedAt, null);
      assert.equal(await store.getTokenUsage('k:m', '2030-01-01'), 0);
      const raw = new Database(db.file!);
      raw.prepare('UPDATE api_keys SET revoked_at = 1 WHERE id = ?').run(key.id);
      raw.prepare("INSERT INTO token_usage (scope, day, tokens) VALUES ('k:m', '2030-01-01', 3)").run();
      raw.close();
      assert.deepEqual((await store.findApiKeyByHash(key.hash))?.revokedAt, new Date(1));
      assert.equal(await store.getTokenUsage('k:m', '2030-01-01'), 3);
    } finally {
      await store.close();
    }
  });

  it('sqlite: the database file and its WAL are created with mode 0600', async () => {
    const db = await harness.fresh();
    const store = await db.open();
    await store.migrate();
    await store.addTokenUsage('k', '2030-01-01', 1);
    try {
      assert.equal(statSync(db.file!).mode & 0o777, 0o600);
      const wal = `${db.file}-wal`;
      if (existsSync(wal)) assert.equal(statSync(wal).mode & 0o777, 0o600);
    } finally {
      await store.close();
    }
  });
});

describe('store contract: postgres', () => {
  defineStoreContract(postgresHarness());
});
