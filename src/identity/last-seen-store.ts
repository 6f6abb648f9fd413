// Where the last use of IdP JWT subjects and mTLS workloads is kept (table identity_last_seen,
// migration 0004), over the side connection the vault, users and revocations share. Written in
// batches by last-seen-recorder.ts, read by `airlock doctor` (unused-credentials.ts).
// Contract: record() resolves once the whole batch is durable, in one transaction; last_seen_ms never
// moves backwards and first_seen_ms never forwards, so replicas writing the same identity in any
// order converge on the same row.
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { AirlockError } from '../errors.ts';
import { type SideConnection, translateSqliteError } from '../secrets/side-connection.ts';

export type SeenKind = 'jwt' | 'spiffe';

export interface SeenIdentity {
  readonly kind: SeenKind;
  /** The JWT's `iss`; `spiffe://<trust domain>` for a workload. */
  readonly issuer: string;
  /** The JWT's `sub`; the SPIFFE ID for a workload. */
  readonly subject: string;
}

export interface SeenUse extends SeenIdentity {
  /** Earliest and latest use (ms since the epoch) in this batch. */
  readonly firstMs: number;
  readonly lastMs: number;
}

export interface SeenRecord extends SeenIdentity {
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

export interface LastSeenStore {
  record(batch: readonly SeenUse[]): Promise<void>;
  /** Every identity seen; empty on a store this version has not migrated yet (nothing recorded). */
  list(): Promise<SeenRecord[]>;
}

interface Row {
  kind: SeenKind;
  issuer: string;
  subject: string;
  first_seen_ms: number | string;
  last_seen_ms: number | string;
}

const toRecord = (r: Row): SeenRecord => ({
  kind: r.kind,
  issuer: r.issuer,
  subject: r.subject,
  firstSeenAt: new Date(Number(r.first_seen_ms)),
  lastSeenAt: new Date(Number(r.last_seen_ms)),
});

const LIST = `SELECT kind, issuer, subject, first_seen_ms, last_seen_ms FROM identity_last_seen
  ORDER BY kind, issuer, subject`;

export function createSqliteLastSeenStore(db: SqliteDatabase): LastSeenStore {
  let s:
    | { upsert: Statement<unknown[]>; list: Statement<unknown[]>; batch: (b: readonly SeenUse[]) => void }
    | undefined;
  // Prepared on first use: the table exists only once the store has migrated.
  const run = <T>(fn: (st: NonNullable<typeof s>) => T): T => {
    try {
      if (!s) {
        const upsert = db.prepare(
          `INSERT INTO identity_last_seen (kind, issuer, subject, first_seen_ms, last_seen_ms)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (kind, issuer, subject) DO UPDATE SET
             first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
             last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
        );
        const batch = db.transaction((b: readonly SeenUse[]) => {
          for (const u of b) upsert.run(u.kind, u.issuer, u.subject, u.firstMs, u.lastMs);
        });
        s = { upsert, list: db.prepare(LIST), batch };
      }
      return fn(s);
    } catch (err) {
      const e = translateSqliteError(err);
      if (e instanceof AirlockError) throw e;
      throw new AirlockError('store_unavailable', { detail: 'identity last-seen: sqlite error', cause: err });
    }
  };
  return {
    async record(batch) {
      if (batch.length > 0) run((st) => st.batch(batch));
    },
    async list() {
      const migrated = db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'identity_last_seen'")
        .get();
      return migrated ? run((st) => (st.list.all() as Row[]).map(toRecord)) : [];
    },
  };
}

type PgConn = Extract<SideConnection, { driver: 'postgres' }>;

export function createPostgresLastSeenStore(conn: PgConn): LastSeenStore {
  const query = async (text: string, values: unknown[]): Promise<Row[]> => {
    try {
      return (await conn.pool.query({ text, values })).rows as Row[];
    } catch (err) {
      throw conn.translate(err);
    }
  };
  return {
    async record(batch) {
      if (batch.length === 0) return;
      // One statement for the whole batch (atomic); the recorder sends each identity once per batch,
      // as ON CONFLICT DO UPDATE may not touch a row twice in one statement.
      await query(
        `INSERT INTO identity_last_seen (kind, issuer, subject, first_seen_ms, last_seen_ms)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
         ON CONFLICT (kind, issuer, subject) DO UPDATE SET
           first_seen_ms = least(identity_last_seen.first_seen_ms, excluded.first_seen_ms),
           last_seen_ms = greatest(identity_last_seen.last_seen_ms, excluded.last_seen_ms)`,
        [
          batch.map((u) => u.kind),
          batch.map((u) => u.issuer),
          batch.map((u) => u.subject),
          batch.map((u) => u.firstMs),
          batch.map((u) => u.lastMs),
        ],
      );
    },
    async list() {
      const [t] = await query("SELECT to_regclass('identity_last_seen') IS NOT NULL AS migrated", []);
      return (t as unknown as { migrated: boolean }).migrated ? (await query(LIST, [])).map(toRecord) : [];
    },
  };
}

export function lastSeenStoreFor(c: SideConnection): LastSeenStore {
  return c.driver === 'sqlite' ? createSqliteLastSeenStore(c.db) : createPostgresLastSeenStore(c);
}
