// SQLite ApprovalRepo: single-statement conditional UPDATEs make decide and consume atomic (one
// writer at a time in SQLite; the WHERE clause is the check, `changes` is the verdict).
import { type AuthzDatabase, guarded } from './sqlite-file.ts';
import type { ApprovalRecord, ApprovalRepo, ApprovalStatus } from './types.ts';

const SCHEMA = `CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  principal TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  args_hash TEXT NOT NULL,
  groups_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
  request_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_by TEXT,
  decided_at INTEGER,
  note TEXT,
  consumed_at INTEGER
);
CREATE INDEX IF NOT EXISTS approvals_binding ON approvals (principal, action, resource, args_hash, status);
CREATE INDEX IF NOT EXISTS approvals_status ON approvals (status, created_at)`;

interface Row {
  id: string;
  principal: string;
  action: string;
  resource: string;
  args_hash: string;
  groups_json: string;
  status: ApprovalStatus;
  request_id: string;
  created_at: number;
  expires_at: number;
  decided_by: string | null;
  decided_at: number | null;
  note: string | null;
  consumed_at: number | null;
}

const fromRow = (r: Row): ApprovalRecord => ({
  id: r.id,
  principal: r.principal,
  action: r.action,
  resource: r.resource,
  argsHash: r.args_hash,
  groups: JSON.parse(r.groups_json) as string[],
  status: r.status,
  requestId: r.request_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  note: r.note,
  consumedAt: r.consumed_at,
});

export function createSqliteApprovalRepo(db: AuthzDatabase): ApprovalRepo {
  guarded('approvals', () => db.exec(SCHEMA));
  const insert = db.prepare(
    `INSERT INTO approvals (id, principal, action, resource, args_hash, groups_json, status, request_id,
       created_at, expires_at, decided_by, decided_at, note, consumed_at)
     VALUES (@id, @principal, @action, @resource, @argsHash, @groups, @status, @requestId,
       @createdAt, @expiresAt, @decidedBy, @decidedAt, @note, @consumedAt)`,
  );
  const get = db.prepare('SELECT * FROM approvals WHERE id = ?');
  const listAll = db.prepare('SELECT * FROM approvals ORDER BY created_at DESC, id DESC LIMIT ?');
  const listBy = db.prepare(
    'SELECT * FROM approvals WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?',
  );
  const pending = db.prepare(
    `SELECT * FROM approvals WHERE principal = ? AND action = ? AND resource = ? AND args_hash = ?
       AND status = 'pending' AND expires_at > ? ORDER BY created_at DESC LIMIT 1`,
  );
  const granted = db.prepare(
    `SELECT * FROM approvals WHERE principal = ? AND action = ? AND resource = ? AND args_hash = ?
       AND status = 'approved' AND expires_at > ? ORDER BY decided_at ASC LIMIT 1`,
  );
  const decide = db.prepare(
    `UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, expires_at = ?, note = ?
     WHERE id = ? AND status = 'pending' AND expires_at > ?`,
  );
  const consume = db.prepare(
    `UPDATE approvals SET status = 'consumed', consumed_at = ?
     WHERE id = ? AND status = 'approved' AND expires_at > ?
       AND principal = ? AND action = ? AND resource = ? AND args_hash = ?`,
  );
  const countOpen = db.prepare(
    `SELECT count(*) AS n FROM approvals WHERE status IN ('pending', 'approved') AND expires_at > ?`,
  );
  return {
    async insert(r) {
      guarded('approvals', () =>
        insert.run({ ...r, groups: JSON.stringify([...r.groups]) } as unknown as Record<string, unknown>),
      );
    },
    async get(id) {
      const row = guarded('approvals', () => get.get(id) as Row | undefined);
      return row && fromRow(row);
    },
    async list({ status, limit = 200 }) {
      const rows = guarded(
        'approvals',
        () => (status ? listBy.all(status, limit) : listAll.all(limit)) as Row[],
      );
      return rows.map(fromRow);
    },
    async findPending(b, now) {
      const row = guarded(
        'approvals',
        () => pending.get(b.principal, b.action, b.resource, b.argsHash, now) as Row | undefined,
      );
      return row && fromRow(row);
    },
    async findGranted(b, now) {
      const row = guarded(
        'approvals',
        () => granted.get(b.principal, b.action, b.resource, b.argsHash, now) as Row | undefined,
      );
      return row && fromRow(row);
    },
    async decide(id, outcome, by, at, expiresAt, note) {
      return guarded('approvals', () => decide.run(outcome, by, at, expiresAt, note, id, at).changes === 1);
    },
    async consume(id, b, now) {
      return guarded(
        'approvals',
        () => consume.run(now, id, now, b.principal, b.action, b.resource, b.argsHash).changes === 1,
      );
    },
    async countOpen(now) {
      return guarded('approvals', () => (countOpen.get(now) as { n: number }).n);
    },
  };
}
