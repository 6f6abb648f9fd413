import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { doctorCommand } from '../cli/commands/doctor.ts';
import { createSqliteApprovalRepo } from './approvals/sqlite-approval-repo.ts';
import { authzDatabasePath, openAuthzDatabase } from './approvals/sqlite-file.ts';
import { createSqliteGrantRepo } from './breakglass/sqlite-grant-repo.ts';
import type { GrantRecord } from './breakglass/types.ts';
import { privilegeFindings, readPrivilegeStatus } from './privilege-doctor.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-privilege-doctor-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const MIN = 60_000;

const grant = (id: string, over: Partial<GrantRecord>, NOW: number): GrantRecord => ({
  id,
  principal: 'oncall',
  reason: 'INC-1 database down',
  openedAt: NOW - 10 * MIN,
  expiresAt: NOW + 50 * MIN,
  closedAt: null,
  closedBy: null,
  uses: 0,
  reviewedBy: null,
  reviewedAt: null,
  reviewNote: null,
  ...over,
});

async function seed(dataDir: string, NOW: number) {
  const db = openAuthzDatabase(authzDatabasePath(dataDir));
  const grants = createSqliteGrantRepo(db);
  await grants.insert(grant('bg_open_old', { openedAt: NOW - 40 * MIN }, NOW));
  await grants.insert(grant('bg_open_new', { openedAt: NOW - 5 * MIN }, NOW));
  // Expired without being closed: no longer open, still unreviewed.
  await grants.insert(
    grant('bg_expired', { openedAt: NOW - 3 * 60 * MIN, expiresAt: NOW - 2 * 60 * MIN }, NOW),
  );
  // Closed and reviewed through the repo, as the admin API does: neither open nor unreviewed.
  await grants.insert(grant('bg_done', {}, NOW));
  assert.equal(await grants.close('bg_done', 'oncall', NOW - MIN), true);
  assert.equal(await grants.review('bg_done', 'lead', NOW, 'ok'), true);
  const approvals = createSqliteApprovalRepo(db);
  const base = {
    principal: 'app',
    action: 'chat',
    resource: 'Model::guarded',
    argsHash: 'a'.repeat(64),
    groups: ['admin'],
    requestId: 'req_1',
    decidedBy: null,
    decidedAt: null,
    note: null,
    consumedAt: null,
  } as const;
  await approvals.insert({
    ...base,
    id: 'apr_1',
    status: 'pending',
    createdAt: NOW - 7 * MIN,
    expiresAt: NOW + MIN,
  });
  await approvals.insert({
    ...base,
    id: 'apr_2',
    status: 'pending',
    createdAt: NOW - 2 * MIN,
    expiresAt: NOW + MIN,
  });
  // Expired while pending, and decided: not pending.
  await approvals.insert({
    ...base,
    id: 'apr_3',
    status: 'pending',
    createdAt: NOW - 90 * MIN,
    expiresAt: NOW - MIN,
  });
  await approvals.insert({
    ...base,
    id: 'apr_4',
    status: 'approved',
    createdAt: NOW - 9 * MIN,
    expiresAt: NOW + MIN,
  });
  db.close();
}

test('readPrivilegeStatus: counts and oldest age of open grants, unreviewed grants, pending approvals', async () => {
  const dataDir = join(dir, 'seeded');
  await seed(dataDir, NOW);
  const s = readPrivilegeStatus(dataDir, NOW);
  assert.deepEqual(s, {
    breakGlassOpen: { count: 2, oldestAgeSeconds: 40 * 60 },
    breakGlassUnreviewed: { count: 3, oldestAgeSeconds: 3 * 60 * 60 },
    approvalsPending: { count: 2, oldestAgeSeconds: 7 * 60 },
  });
  const findings = privilegeFindings(s);
  assert.deepEqual(
    findings.map((f) => [f.code, f.level, f.message]),
    [
      ['privilege_breakglass_open', 'warn', '2 open break-glass grant(s) (oldest 40 min)'],
      ['privilege_breakglass_unreviewed', 'warn', '3 break-glass grant(s) awaiting review (oldest 3 h)'],
      ['privilege_approvals_pending', 'ok', '2 pending approval request(s) (oldest 7 min)'],
    ],
  );
});

test('readPrivilegeStatus: no authz file → all zero, and no file is created', () => {
  const dataDir = join(dir, 'never-started');
  const s = readPrivilegeStatus(dataDir, NOW);
  assert.equal(s.breakGlassOpen.count + s.breakGlassUnreviewed.count + s.approvalsPending.count, 0);
  assert.equal(existsSync(authzDatabasePath(dataDir)), false);
  assert.ok(privilegeFindings(s).every((f) => f.level === 'ok'));
});

test('airlock doctor --json carries the privilege section; the text report lists it', async () => {
  const cfgDir = join(dir, 'cli');
  await seed(join(cfgDir, 'data'), Date.now());
  const file = join(cfgDir, 'airlock.yaml');
  writeFileSync(file, 'version: 1\ndataDir: ./data\nlisteners:\n  client:\n    port: 8080\n');
  const run = async (argv: string[]) => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => {
      out += d;
    });
    const code = await doctorCommand.run(argv, { stdout, stderr: new PassThrough(), env: {}, cwd: cfgDir });
    return { code, out };
  };
  const json = await run(['--config', file, '--json']);
  const report = JSON.parse(json.out);
  assert.equal(report.privilege.breakGlassOpen.count, 2);
  assert.equal(report.privilege.breakGlassUnreviewed.count, 3);
  assert.equal(report.privilege.approvalsPending.count, 2);
  assert.ok(report.findings.some((f: { code: string }) => f.code === 'privilege_breakglass_open'));
  const text = await run(['--config', file]);
  assert.match(text.out, /WARN {2}privilege_breakglass_unreviewed: 3 break-glass grant\(s\) awaiting review/);
});
