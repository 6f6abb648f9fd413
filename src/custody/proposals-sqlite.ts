// Model-change proposals in custody.db, next to the inventory they change, so that marking a proposal
// applied and the change itself commit in one transaction. Decided proposals never change again.
import type Database from 'better-sqlite3';
import type { ModelProposal, ProposalAction, ProposalStatus } from './proposals.ts';

export const PROPOSALS_SCHEMA = `
CREATE TABLE IF NOT EXISTS model_proposals (
  id TEXT PRIMARY KEY,
  action TEXT NOT NULL CHECK (action IN ('approve', 'activate', 'rollback')),
  version_id TEXT NOT NULL,
  alias TEXT,
  reason TEXT,
  author TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('proposed', 'applied', 'rejected')),
  created_at TEXT NOT NULL,
  decided_by TEXT,
  decided_at TEXT
);
CREATE TRIGGER IF NOT EXISTS model_proposals_decided_once BEFORE UPDATE ON model_proposals
  WHEN OLD.status <> 'proposed'
  BEGIN SELECT RAISE(ABORT, 'a decided proposal does not change'); END;
CREATE TRIGGER IF NOT EXISTS model_proposals_no_delete BEFORE DELETE ON model_proposals
  BEGIN SELECT RAISE(ABORT, 'proposals are kept'); END;
`;

export interface ProposalRepo {
  insert(p: ModelProposal): void;
  get(id: string): ModelProposal | undefined;
  list(status?: ProposalStatus): ModelProposal[];
  /** proposed → applied | rejected; false when it was no longer proposed. */
  decide(id: string, to: 'applied' | 'rejected', by: string, at: string): boolean;
}

interface Row {
  id: string;
  action: ProposalAction;
  version_id: string;
  alias: string | null;
  reason: string | null;
  author: string;
  status: ProposalStatus;
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

const fromRow = (r: Row): ModelProposal => ({
  id: r.id,
  action: r.action,
  version: r.version_id,
  alias: r.alias,
  reason: r.reason,
  author: r.author,
  status: r.status,
  createdAt: r.created_at,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
});

/** `db` already holds PROPOSALS_SCHEMA (openSqliteInventory creates it). */
export function createSqliteProposalRepo(db: Database.Database): ProposalRepo {
  const q = {
    insert: db.prepare(
      'INSERT INTO model_proposals (id, action, version_id, alias, reason, author, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    get: db.prepare('SELECT * FROM model_proposals WHERE id = ?'),
    all: db.prepare('SELECT * FROM model_proposals ORDER BY created_at DESC, id LIMIT 500'),
    byStatus: db.prepare(
      'SELECT * FROM model_proposals WHERE status = ? ORDER BY created_at DESC, id LIMIT 500',
    ),
    decide: db.prepare(
      "UPDATE model_proposals SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'proposed'",
    ),
  };
  return {
    insert(p) {
      q.insert.run(p.id, p.action, p.version, p.alias, p.reason, p.author, p.status, p.createdAt);
    },
    get(id) {
      const r = q.get.get(id) as Row | undefined;
      return r && fromRow(r);
    },
    list(status) {
      return ((status ? q.byStatus.all(status) : q.all.all()) as Row[]).map(fromRow);
    },
    decide(id, to, by, at) {
      return q.decide.run(to, by, at, id).changes === 1;
    },
  };
}
