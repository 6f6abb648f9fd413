// VaultRepo on PostgreSQL. Writes that depend on the meta row lock it (FOR UPDATE / FOR SHARE), so a
// master key rotation on one replica and a rotate on another serialise instead of interleaving.
import type { MasterKeyDescriptor } from './master-key.ts';
import { pgTransaction, type SideConnection } from './side-connection.ts';
import type { VaultMeta, VaultRepo } from './vault-repo.ts';

type PgConn = Extract<SideConnection, { driver: 'postgres' }>;

interface Row {
  name: string;
  version: number;
  nonce: Buffer;
  ciphertext: Buffer;
  wrap_nonce: Buffer;
  wrapped_key: Buffer;
  created_at: Date;
  retired_at: Date | null;
}

const envelope = (r: Row) => ({
  name: r.name,
  version: r.version,
  nonce: r.nonce,
  ciphertext: r.ciphertext,
  wrapNonce: r.wrap_nonce,
  wrappedKey: r.wrapped_key,
});

export function createPostgresVaultRepo(conn: PgConn): VaultRepo {
  const query = async <R>(text: string, values: unknown[] = []): Promise<R[]> => {
    try {
      return (await conn.pool.query(text, values)).rows as R[];
    } catch (err) {
      throw conn.translate(err);
    }
  };
  const toMeta = (r: { kdf: MasterKeyDescriptor; key_check: string; updated_at: Date }): VaultMeta => ({
    kdf: r.kdf,
    keyCheck: r.key_check,
    updatedAt: r.updated_at.getTime(),
  });

  return {
    async getMeta() {
      const rows = await query<{ kdf: MasterKeyDescriptor; key_check: string; updated_at: Date }>(
        'SELECT kdf, key_check, updated_at FROM vault_meta WHERE id = 1',
      );
      return rows[0] ? toMeta(rows[0]) : undefined;
    },

    async initMeta(meta) {
      await query(
        'INSERT INTO vault_meta (id, kdf, key_check, updated_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING',
        [JSON.stringify(meta.kdf), meta.keyCheck, new Date(meta.updatedAt)],
      );
      const rows = await query<{ kdf: MasterKeyDescriptor; key_check: string; updated_at: Date }>(
        'SELECT kdf, key_check, updated_at FROM vault_meta WHERE id = 1',
      );
      return toMeta(rows[0]!);
    },

    async insertNext(name, mode, keyCheck, at, build) {
      return pgTransaction(conn, async (c) => {
        const meta = await c.query('SELECT key_check FROM vault_meta WHERE id = 1 FOR SHARE');
        if (meta.rows[0]?.key_check !== keyCheck) return { kind: 'stale_key' as const };
        // Serialises writers of one name (two rotations would otherwise pick the same version).
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7019267304284449646))', [name]);
        const r = await c.query<{ max: number | null }>(
          'SELECT max(version) AS max FROM vault_secrets WHERE name = $1',
          [name],
        );
        const max = r.rows[0]?.max ?? null;
        if (mode === 'create' && max !== null) return { kind: 'exists' as const };
        if (mode === 'rotate' && max === null) return { kind: 'missing' as const };
        const version = (max ?? 0) + 1;
        const row = build(version);
        await c.query(
          `INSERT INTO vault_secrets (name, version, nonce, ciphertext, wrap_nonce, wrapped_key, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [name, version, row.nonce, row.ciphertext, row.wrapNonce, row.wrappedKey, new Date(at)],
        );
        return { kind: 'ok' as const, version };
      });
    },

    async read(name, version) {
      const rows =
        version === undefined
          ? await query<Row>(
              'SELECT * FROM vault_secrets WHERE name = $1 AND retired_at IS NULL ORDER BY version DESC LIMIT 1',
              [name],
            )
          : await query<Row>(
              'SELECT * FROM vault_secrets WHERE name = $1 AND version = $2 AND retired_at IS NULL',
              [name, version],
            );
      return rows[0] ? envelope(rows[0]) : undefined;
    },

    async readCurrent() {
      const rows = await query<Row>(
        `SELECT DISTINCT ON (name) * FROM vault_secrets WHERE retired_at IS NULL ORDER BY name, version DESC`,
      );
      return rows.map(envelope);
    },

    async list() {
      const rows = await query<Row>(
        'SELECT name, version, created_at, retired_at FROM vault_secrets ORDER BY name, version',
      );
      return rows.map((r) => ({
        name: r.name,
        version: r.version,
        createdAt: r.created_at.getTime(),
        retiredAt: r.retired_at?.getTime() ?? null,
      }));
    },

    async retire(name, version, at) {
      const rows = await query(
        `UPDATE vault_secrets SET retired_at = $3, ciphertext = '\\x', wrapped_key = '\\x'
         WHERE name = $1 AND version = $2 AND retired_at IS NULL RETURNING version`,
        [name, version, new Date(at)],
      );
      return rows.length === 1;
    },

    async remove(name) {
      const rows = await query('DELETE FROM vault_secrets WHERE name = $1 RETURNING version', [name]);
      return rows.length;
    },

    async rewrap(fromCheck, to, fn) {
      return pgTransaction(conn, async (c) => {
        const meta = await c.query('SELECT key_check FROM vault_meta WHERE id = 1 FOR UPDATE');
        if (meta.rows[0]?.key_check !== fromCheck) return false as const;
        const rows = await c.query<Row>(
          'SELECT name, version, wrap_nonce, wrapped_key FROM vault_secrets WHERE retired_at IS NULL FOR UPDATE',
        );
        for (const r of rows.rows) {
          const next = fn(r.name, r.version, { wrapNonce: r.wrap_nonce, wrappedKey: r.wrapped_key });
          await c.query(
            'UPDATE vault_secrets SET wrap_nonce = $1, wrapped_key = $2 WHERE name = $3 AND version = $4',
            [next.wrapNonce, next.wrappedKey, r.name, r.version],
          );
        }
        await c.query('UPDATE vault_meta SET kdf = $1, key_check = $2, updated_at = $3 WHERE id = 1', [
          JSON.stringify(to.kdf),
          to.keyCheck,
          new Date(to.updatedAt),
        ]);
        return rows.rows.length;
      });
    },

    async ping() {
      try {
        await conn.pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
  };
}
