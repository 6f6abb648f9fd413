// `airlock doctor`'s privilege section (P8: privilege is temporary and watched): open break-glass
// grants, grants nobody has reviewed yet and pending approvals, each with a count and the age of the
// oldest, and an approved config change that still needs a restart, read offline from this node's
// authz.sqlite. The same numbers are on /metrics as
// airlock_privilege_open. A read-only view over the tables the repos own: it never creates the file
// or a table (a node that never started simply has nothing open).
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { parseDocument } from 'yaml';
import { parseConfig } from '../config/load.ts';
import type { DoctorFinding } from '../egress/doctor.ts';
import { authzDatabasePath } from './approvals/sqlite-file.ts';
import { planConfigChange } from './changes/config-plan.ts';

export interface PrivilegeCount {
  readonly count: number;
  /** Seconds since the oldest one was opened / requested; null when there is none. */
  readonly oldestAgeSeconds: number | null;
}

export interface PrivilegeStatus {
  readonly breakGlassOpen: PrivilegeCount;
  readonly breakGlassUnreviewed: PrivilegeCount;
  readonly approvalsPending: PrivilegeCount;
}

const NONE: PrivilegeCount = { count: 0, oldestAgeSeconds: null };

function count(db: Database.Database, table: string, sql: string, now: number): PrivilegeCount {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  if (!exists) return NONE;
  const row = db.prepare(sql).get({ now }) as { n: number; oldest: number | null };
  return {
    count: row.n,
    oldestAgeSeconds: row.oldest === null ? null : Math.max(0, Math.floor((now - row.oldest) / 1000)),
  };
}

/** The privilege counts of the node whose data directory is `dataDir` (all zero without a file). */
export function readPrivilegeStatus(dataDir: string, now = Date.now()): PrivilegeStatus {
  const path = authzDatabasePath(dataDir);
  if (!existsSync(path)) return { breakGlassOpen: NONE, breakGlassUnreviewed: NONE, approvalsPending: NONE };
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    return {
      breakGlassOpen: count(
        db,
        'breakglass_grants',
        `SELECT count(*) AS n, min(opened_at) AS oldest FROM breakglass_grants
         WHERE closed_at IS NULL AND expires_at > @now`,
        now,
      ),
      breakGlassUnreviewed: count(
        db,
        'breakglass_grants',
        'SELECT count(*) AS n, min(opened_at) AS oldest FROM breakglass_grants WHERE reviewed_at IS NULL',
        now,
      ),
      approvalsPending: count(
        db,
        'approvals',
        `SELECT count(*) AS n, min(created_at) AS oldest FROM approvals
         WHERE status = 'pending' AND expires_at > @now`,
        now,
      ),
    };
  } finally {
    db.close();
  }
}

function age(seconds: number | null): string {
  if (seconds === null) return '';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

/** Doctor findings for the counts: warnings while grants are open or unreviewed; approvals as info. */
export function privilegeFindings(s: PrivilegeStatus): DoctorFinding[] {
  const line = (c: PrivilegeCount, what: string) =>
    c.count === 0 ? `no ${what}` : `${c.count} ${what} (oldest ${age(c.oldestAgeSeconds)})`;
  return [
    {
      level: s.breakGlassOpen.count > 0 ? 'warn' : 'ok',
      code: 'privilege_breakglass_open',
      message: line(s.breakGlassOpen, 'open break-glass grant(s)'),
      fix: 'close a grant when the incident ends: airlock breakglass close ID',
    },
    {
      level: s.breakGlassUnreviewed.count > 0 ? 'warn' : 'ok',
      code: 'privilege_breakglass_unreviewed',
      message: line(s.breakGlassUnreviewed, 'break-glass grant(s) awaiting review'),
      fix: 'a different person signs each grant off: airlock breakglass review ID',
    },
    {
      level: 'ok',
      code: 'privilege_approvals_pending',
      message: line(s.approvalsPending, 'pending approval request(s)'),
      fix: 'approvers decide them: airlock approvals list, then approve or deny ID',
    },
  ];
}

/** The newest approved config version when it differs from the file the node starts from: the
 *  fields that need a restart (with that version in the file) to take effect; or, when the file is
 *  no stored version at all, that it was edited outside the two-person flow. */
export function configRestartFindings(dataDir: string, fileText: string): DoctorFinding[] {
  const path = authzDatabasePath(dataDir);
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  let rows: { version: number; content: string }[];
  try {
    const exists = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'change_versions'")
      .get();
    if (!exists) return [];
    rows = db
      .prepare("SELECT version, content FROM change_versions WHERE kind = 'config' ORDER BY version DESC")
      .all() as typeof rows;
  } finally {
    db.close();
  }
  const row = rows[0];
  if (!row || row.content === fileText) return [];
  if (!rows.some((r) => r.content === fileText))
    return [
      {
        level: 'warn',
        code: 'config_unrecorded',
        message: `this config file is no approved version (latest is v${row.version}): it was edited outside the two-person flow`,
        fix: 'propose it so a second admin approves it: airlock changes propose --kind config --file FILE',
      },
    ];
  const fix = `deploy approved config v${row.version} (airlock changes history --kind config --json) to the config file and restart`;
  let restart: readonly string[];
  try {
    const parse = (text: string) => parseConfig(parseDocument(text, { uniqueKeys: true }).toJS());
    restart = planConfigChange(parse(fileText), parse(row.content)).restart;
  } catch {
    return [
      {
        level: 'warn',
        code: 'config_restart_pending',
        message: `approved config v${row.version} differs from this file and could not be compared`,
        fix,
      },
    ];
  }
  return [
    restart.length > 0
      ? {
          level: 'warn',
          code: 'config_restart_pending',
          message: `approved config v${row.version} changes ${restart.join(', ')}: these take effect only after a restart with it in the config file`,
          fix,
        }
      : {
          level: 'ok',
          code: 'config_restart_pending',
          message: `approved config v${row.version} differs from this file only in live fields (re-applied at start-up)`,
          fix,
        },
  ];
}
