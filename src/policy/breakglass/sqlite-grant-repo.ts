// SQLite GrantRepo: conditional single-statement UPDATEs make close and review atomic.
import { type AuthzDatabase, guarded } from '../approvals/sqlite-file.ts';
import type { GrantRecord, GrantRepo } from './types.ts';

const SCHEMA = `CREATE TABLE IF NOT EXISTS breakglass_grants (
  id TEXT PRIMARY KEY,
  principal TEXT NOT NULL,
  reason TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  closed_at INTEGER,
  closed_by TEXT,
  uses INTEGER NOT NULL DEFAULT 0,
  reviewed_by TEXT,
  reviewed_at INTEGER,
  review_note TEXT
);
CREATE INDEX IF NOT EXISTS breakglass_review ON breakglass_grants (reviewed_at, opened_at)`;

interface Row {
  id: string;
  principal: string;
  reason: string;
  opened_at: number;
  expires_at: number;
  closed_at: number | null;
  closed_by: string | null;
  uses: number;
  reviewed_by: string | null;
  reviewed_at: number | null;
  review_note: string | null;
}

const fromRow = (r: Row): GrantRecord => ({
  id: r.id,
  principal: r.principal,
  reason: r.reason,
  openedAt: r.opened_at,
  expiresAt: r.expires_at,
  closedAt: r.closed_at,
  closedBy: r.closed_by,
  uses: r.uses,
  reviewedBy: r.reviewed_by,
  reviewedAt: r.reviewed_at,
  reviewNote: r.review_note,
});

export function createSqliteGrantRepo(db: AuthzDatabase): GrantRepo {
  guarded('breakglass', () => db.exec(SCHEMA));
  const insert = db.prepare(
    `INSERT INTO breakglass_grants (id, principal, reason, opened_at, expires_at, closed_at, closed_by,
       uses, reviewed_by, reviewed_at, review_note)
     VALUES (?, ?, ?, ?, ?, NULL, NULL, 0, NULL, NULL, NULL)`,
  );
  const get = db.prepare('SELECT * FROM breakglass_grants WHERE id = ?');
  const listAll = db.prepare('SELECT * FROM breakglass_grants ORDER BY opened_at DESC, id DESC LIMIT ?');
  const listUnreviewed = db.prepare(
    'SELECT * FROM breakglass_grants WHERE reviewed_at IS NULL ORDER BY opened_at DESC, id DESC LIMIT ?',
  );
  const use = db.prepare('UPDATE breakglass_grants SET uses = uses + 1 WHERE id = ?');
  const close = db.prepare(
    'UPDATE breakglass_grants SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL',
  );
  const review = db.prepare(
    `UPDATE breakglass_grants SET reviewed_by = ?, reviewed_at = ?, review_note = ?
     WHERE id = ? AND reviewed_at IS NULL`,
  );
  const counts = db.prepare(
    `SELECT
       coalesce(sum(CASE WHEN closed_at IS NULL AND expires_at > ? THEN 1 ELSE 0 END), 0) AS open,
       coalesce(sum(CASE WHEN reviewed_at IS NULL THEN 1 ELSE 0 END), 0) AS unreviewed
     FROM breakglass_grants`,
  );
  return {
    async insert(g) {
      guarded('breakglass', () => insert.run(g.id, g.principal, g.reason, g.openedAt, g.expiresAt));
    },
    async get(id) {
      const row = guarded('breakglass', () => get.get(id) as Row | undefined);
      return row && fromRow(row);
    },
    async list({ unreviewed, limit = 200 }) {
      const rows = guarded('breakglass', () => (unreviewed ? listUnreviewed : listAll).all(limit) as Row[]);
      return rows.map(fromRow);
    },
    async recordUse(id) {
      guarded('breakglass', () => use.run(id));
    },
    async close(id, by, at) {
      return guarded('breakglass', () => close.run(at, by, id).changes === 1);
    },
    async review(id, by, at, note) {
      return guarded('breakglass', () => review.run(by, at, note, id).changes === 1);
    },
    async counts(now) {
      return guarded('breakglass', () => counts.get(now) as { open: number; unreviewed: number });
    },
  };
}
