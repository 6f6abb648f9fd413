// VaultRepo on SQLite (better-sqlite3 is synchronous: each method is one IMMEDIATE transaction or one
// statement, durable when it returns under synchronous=FULL).
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { MasterKeyDescriptor } from './master-key.ts';
import { translateSqliteError } from './side-connection.ts';
import type { VaultMeta, VaultRepo } from './vault-repo.ts';

interface Row {
  name: string;
  version: number;
  nonce: Buffer;
  ciphertext: Buffer;
  wrap_nonce: Buffer;
  wrapped_key: Buffer;
  created_at: number;
  retired_at: number | null;
}

const envelope = (r: Row) => ({
  name: r.name,
  version: r.version,
  nonce: r.nonce,
  ciphertext: r.ciphertext,
  wrapNonce: r.wrap_nonce,
  wrappedKey: r.wrapped_key,
});

export function createSqliteVaultRepo(db: SqliteDatabase): VaultRepo {
  const run = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw translateSqliteError(err);
    }
  };
  const getMeta = (): VaultMeta | undefined => {
    const row = db.prepare('SELECT kdf, key_check, updated_at FROM vault_meta WHERE id = 1').get() as
      | { kdf: string; key_check: string; updated_at: number }
      | undefined;
    return row
      ? {
          kdf: JSON.parse(row.kdf) as MasterKeyDescriptor,
          keyCheck: row.key_check,
          updatedAt: row.updated_at,
        }
      : undefined;
  };
  const checkMatches = (keyCheck: string) =>
    (db.prepare('SELECT key_check FROM vault_meta WHERE id = 1').pluck().get() as string | undefined) ===
    keyCheck;

  return {
    async getMeta() {
      return run(getMeta);
    },

    async initMeta(meta) {
      return run(() =>
        db
          .transaction(() => {
            db.prepare(
              'INSERT INTO vault_meta (id, kdf, key_check, updated_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
            ).run(JSON.stringify(meta.kdf), meta.keyCheck, meta.updatedAt);
            return getMeta()!;
          })
          .immediate(),
      );
    },

    async insertNext(name, mode, keyCheck, at, build) {
      return run(() =>
        db
          .transaction(() => {
            if (!checkMatches(keyCheck)) return { kind: 'stale_key' as const };
            const max = db
              .prepare('SELECT max(version) FROM vault_secrets WHERE name = ?')
              .pluck()
              .get(name) as number | null;
            if (mode === 'create' && max !== null) return { kind: 'exists' as const };
            if (mode === 'rotate' && max === null) return { kind: 'missing' as const };
            const version = (max ?? 0) + 1;
            const row = build(version);
            db.prepare(
              `INSERT INTO vault_secrets (name, version, nonce, ciphertext, wrap_nonce, wrapped_key, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
            ).run(name, version, row.nonce, row.ciphertext, row.wrapNonce, row.wrappedKey, at);
            return { kind: 'ok' as const, version };
          })
          .immediate(),
      );
    },

    async read(name, version) {
      return run(() => {
        const row = (
          version === undefined
            ? db
                .prepare(
                  'SELECT * FROM vault_secrets WHERE name = ? AND retired_at IS NULL ORDER BY version DESC LIMIT 1',
                )
                .get(name)
            : db
                .prepare('SELECT * FROM vault_secrets WHERE name = ? AND version = ? AND retired_at IS NULL')
                .get(name, version)
        ) as Row | undefined;
        return row ? envelope(row) : undefined;
      });
    },

    async readCurrent() {
      return run(() =>
        (
          db
            .prepare(
              `SELECT s.* FROM vault_secrets s
               JOIN (SELECT name, max(version) AS version FROM vault_secrets WHERE retired_at IS NULL GROUP BY name) c
                 ON c.name = s.name AND c.version = s.version
               ORDER BY s.name`,
            )
            .all() as Row[]
        ).map(envelope),
      );
    },

    async list() {
      return run(() =>
        (
          db
            .prepare('SELECT name, version, created_at, retired_at FROM vault_secrets ORDER BY name, version')
            .all() as Row[]
        ).map((r) => ({
          name: r.name,
          version: r.version,
          createdAt: r.created_at,
          retiredAt: r.retired_at,
        })),
      );
    },

    async retire(name, version, at) {
      return run(
        () =>
          db
            .prepare(
              `UPDATE vault_secrets SET retired_at = ?, ciphertext = x'', wrapped_key = x''
               WHERE name = ? AND version = ? AND retired_at IS NULL`,
            )
            .run(at, name, version).changes === 1,
      );
    },

    async remove(name) {
      return run(() => db.prepare('DELETE FROM vault_secrets WHERE name = ?').run(name).changes);
    },

    async rewrap(fromCheck, to, fn) {
      return run(() =>
        db
          .transaction(() => {
            if (!checkMatches(fromCheck)) return false as const;
            const rows = db
              .prepare(
                'SELECT name, version, wrap_nonce, wrapped_key FROM vault_secrets WHERE retired_at IS NULL',
              )
              .all() as Row[];
            const update = db.prepare(
              'UPDATE vault_secrets SET wrap_nonce = ?, wrapped_key = ? WHERE name = ? AND version = ?',
            );
            for (const r of rows) {
              const next = fn(r.name, r.version, { wrapNonce: r.wrap_nonce, wrappedKey: r.wrapped_key });
              update.run(next.wrapNonce, next.wrappedKey, r.name, r.version);
            }
            db.prepare('UPDATE vault_meta SET kdf = ?, key_check = ?, updated_at = ? WHERE id = 1').run(
              JSON.stringify(to.kdf),
              to.keyCheck,
              to.updatedAt,
            );
            return rows.length;
          })
          .immediate(),
      );
    },

    async ping() {
      try {
        return db.open && db.prepare('SELECT 1').pluck().get() === 1;
      } catch {
        return false;
      }
    },
  };
}
