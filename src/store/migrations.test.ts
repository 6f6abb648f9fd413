import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AirlockError } from '../errors.ts';
import { loadMigrations, migrationChecksum, pendingMigrations } from './migrations.ts';

function withDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-migrations-'));
  try {
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('loadMigrations', () => {
  it('orders by version and ignores files that are not NNNN_name.sql', () => {
    withDir({ '0002_b.sql': 'B', '0001_a.sql': 'A', 'README.md': 'x', '1_bad.sql': 'x' }, (dir) => {
      assert.deepEqual(
        loadMigrations(dir).map((m) => [m.version, m.name, m.sql]),
        [
          [1, 'a', 'A'],
          [2, 'b', 'B'],
        ],
      );
    });
  });

  it('two files with one version → stops start-up', () => {
    withDir({ '0001_a.sql': 'A', '0001_b.sql': 'B' }, (dir) => {
      assert.throws(() => loadMigrations(dir), AirlockError);
    });
  });

  it('both shipped driver folders load and start at version 1', () => {
    for (const driver of ['sqlite', 'postgres']) {
      const migrations = loadMigrations(new URL(`./migrations/${driver}/`, import.meta.url));
      assert.equal(migrations[0]?.version, 1);
      assert.equal(migrations[0]?.name, 'init');
    }
  });
});

describe('migrationChecksum', () => {
  it('CRLF and LF checkouts hash the same; any other edit changes the hash', () => {
    assert.equal(migrationChecksum('a;\r\nb;\r\n'), migrationChecksum('a;\nb;\n'));
    assert.notEqual(migrationChecksum('a;\nb;\n'), migrationChecksum('a;\nb; \n'));
  });
});

describe('pendingMigrations', () => {
  const m = (version: number, name: string, sql: string) => ({
    version,
    name,
    sql,
    checksum: migrationChecksum(sql),
  });
  const known = [m(1, 'init', 'A'), m(2, 'more', 'B')];

  it('nothing applied → all pending, in order', () => {
    assert.deepEqual(pendingMigrations(known, [], 'sqlite'), known);
  });

  it('first applied with the same checksum → only the second is pending', () => {
    assert.deepEqual(pendingMigrations(known, [known[0]!], 'sqlite'), [known[1]]);
  });

  it('applied checksum differs → throws store_unavailable naming the migration', () => {
    assert.throws(
      () => pendingMigrations(known, [{ version: 1, name: 'init', checksum: 'other' }], 'postgres'),
      (err: unknown) =>
        err instanceof AirlockError &&
        err.code === 'store_unavailable' &&
        /postgres migration 0001_init was changed/.test(err.detail ?? ''),
    );
  });

  it('a newer replica applied a version this build does not know → tolerated', () => {
    assert.deepEqual(pendingMigrations(known, [...known, m(3, 'future', 'C')], 'sqlite'), []);
  });
});
