// SQLite ChangeRepo: apply is one transaction (check base version, insert version, mark applied).
import { type AuthzDatabase, guarded } from '../approvals/sqlite-file.ts';
import type { ChangeKind, ChangeRecord, ChangeRepo, VersionRecord } from './types.ts';

const SCHEMA = `CREATE TABLE IF NOT EXISTS changes (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('policy', 'config')),
  base_version INTEGER NOT NULL,
  content TEXT NOT NULL,
  diff TEXT NOT NULL,
  author TEXT NOT NULL,
  note TEXT,
  rollback_of INTEGER,
  status TEXT NOT NULL CHECK (status IN ('proposed', 'applied', 'rejected', 'superseded')),
  created_at INTEGER NOT NULL,
  decided_by TEXT,
  decided_at INTEGER,
  applied_version INTEGER
);
CREATE TABLE IF NOT EXISTS change_versions (
  kind TEXT NOT NULL,
  version INTEGER NOT NULL,
  content TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  change_id TEXT,
  author TEXT NOT NULL,
  approver TEXT,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (kind, version)
)`;

interface ChangeRow {
  id: string;
  kind: ChangeKind;
  base_version: number;
  content: string;
  diff: string;
  author: string;
  note: string | null;
  rollback_of: number | null;
  status: ChangeRecord['status'];
  created_at: number;
  decided_by: string | null;
  decided_at: number | null;
  applied_version: number | null;
}
interface VersionRow {
  kind: ChangeKind;
  version: number;
  content: string;
  sha256: string;
  change_id: string | null;
  author: string;
  approver: string | null;
  applied_at: number;
}

const change = (r: ChangeRow): ChangeRecord => ({
  id: r.id,
  kind: r.kind,
  baseVersion: r.base_version,
  content: r.content,
  diff: r.diff,
  author: r.author,
  note: r.note,
  rollbackOf: r.rollback_of,
  status: r.status,
  createdAt: r.created_at,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  appliedVersion: r.applied_version,
});
const version = (r: VersionRow): VersionRecord => ({
  kind: r.kind,
  version: r.version,
  content: r.content,
  sha256: r.sha256,
  changeId: r.change_id,
  author: r.author,
  approver: r.approver,
  appliedAt: r.applied_at,
});

export function createSqliteChangeRepo(db: AuthzDatabase): ChangeRepo {
  guarded('changes', () => db.exec(SCHEMA));
  const insert = db.prepare(
    `INSERT INTO changes (id, kind, base_version, content, diff, author, note, rollback_of, status, created_at,
       decided_by, decided_at, applied_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, NULL, NULL, NULL)`,
  );
  const get = db.prepare('SELECT * FROM changes WHERE id = ?');
  const list = db.prepare(
    `SELECT * FROM changes WHERE (@kind IS NULL OR kind = @kind) AND (@status IS NULL OR status = @status)
     ORDER BY created_at DESC, id DESC LIMIT @limit`,
  );
  const reject = db.prepare(
    `UPDATE changes SET status = 'rejected', decided_by = ?, decided_at = ? WHERE id = ? AND status = 'proposed'`,
  );
  const current = db.prepare('SELECT * FROM change_versions WHERE kind = ? ORDER BY version DESC LIMIT 1');
  const one = db.prepare('SELECT * FROM change_versions WHERE kind = ? AND version = ?');
  const historyAll = db.prepare('SELECT * FROM change_versions ORDER BY applied_at, kind, version');
  const historyKind = db.prepare('SELECT * FROM change_versions WHERE kind = ? ORDER BY version');
  const insertVersion = db.prepare(
    `INSERT INTO change_versions (kind, version, content, sha256, change_id, author, approver, applied_at)
     VALUES (@kind, @version, @content, @sha256, @changeId, @author, @approver, @appliedAt)`,
  );
  const markApplied = db.prepare(
    `UPDATE changes SET status = 'applied', decided_by = ?, decided_at = ?, applied_version = ? WHERE id = ?`,
  );
  // Other proposals against the old base can never apply now: say so instead of leaving them open.
  const supersede = db.prepare(
    `UPDATE changes SET status = 'superseded', decided_at = ? WHERE kind = ? AND status = 'proposed' AND base_version < ?`,
  );
  const applyTx = db.transaction((id: string, approver: string, at: number, sha256: string) => {
    const c = get.get(id) as ChangeRow | undefined;
    if (c?.status !== 'proposed') return undefined;
    const cur = current.get(c.kind) as VersionRow | undefined;
    if ((cur?.version ?? 0) !== c.base_version) return undefined;
    const v: VersionRecord = {
      kind: c.kind,
      version: c.base_version + 1,
      content: c.content,
      sha256,
      changeId: c.id,
      author: c.author,
      approver,
      appliedAt: at,
    };
    insertVersion.run(v as unknown as Record<string, unknown>);
    markApplied.run(approver, at, v.version, id);
    supersede.run(at, c.kind, v.version);
    return v;
  });
  const adoptTx = db.transaction((v: VersionRecord) => {
    if (current.get(v.kind)) return false;
    insertVersion.run(v as unknown as Record<string, unknown>);
    return true;
  });
  return {
    async insert(c) {
      guarded('changes', () =>
        insert.run(
          c.id,
          c.kind,
          c.baseVersion,
          c.content,
          c.diff,
          c.author,
          c.note,
          c.rollbackOf,
          c.createdAt,
        ),
      );
    },
    async get(id) {
      const r = guarded('changes', () => get.get(id) as ChangeRow | undefined);
      return r && change(r);
    },
    async list({ kind, status, limit = 200 }) {
      const rows = guarded(
        'changes',
        () => list.all({ kind: kind ?? null, status: status ?? null, limit }) as ChangeRow[],
      );
      return rows.map(change);
    },
    async reject(id, by, at) {
      return guarded('changes', () => reject.run(by, at, id).changes === 1);
    },
    async apply(id, approver, at, sha256) {
      return guarded('changes', () => applyTx.immediate(id, approver, at, sha256));
    },
    async adopt(v) {
      return guarded('changes', () => adoptTx.immediate(v));
    },
    async current(kind) {
      const r = guarded('changes', () => current.get(kind) as VersionRow | undefined);
      return r && version(r);
    },
    async version(kind, n) {
      const r = guarded('changes', () => one.get(kind, n) as VersionRow | undefined);
      return r && version(r);
    },
    async history(kind) {
      const rows = guarded(
        'changes',
        () => (kind ? historyKind.all(kind) : historyAll.all()) as VersionRow[],
      );
      return rows.map(version);
    },
  };
}
