// Two-person changes over HTTP (fastify inject, loopback-free) and a real SQLite file: proposal
// with a diff, same-person approval refused, apply produces a version, rollback is a proposal,
// history, stale proposals superseded, an audit event for each step.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { AirlockError } from '../../src/errors.ts';
import type { Principal, RequestContext } from '../../src/http/context.ts';
import type { AdminRoute } from '../../src/policy/approvals/routes.ts';
import { authzDatabasePath, openAuthzDatabase } from '../../src/policy/approvals/sqlite-file.ts';
import { createChangeService } from '../../src/policy/changes/change-service.ts';
import { registerChangeRoutes } from '../../src/policy/changes/routes.ts';
import { createSqliteChangeRepo } from '../../src/policy/changes/sqlite-change-repo.ts';
import type { ChangeEvent, VersionRecord } from '../../src/policy/changes/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-chg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Stand-in for createAdminRoute: the test principal comes from a header (authentication is not
// under test here); errors map to the catalogue status.
const route: AdminRoute = (_name, op) => async (request, reply) => {
  const id = String(request.headers['x-test-admin'] ?? '');
  const principal: Principal = {
    kind: 'admin',
    id,
    credentialId: `k_${id}`,
    credentialPrefix: 'alk_a',
    expiresAt: new Date(Date.UTC(2030, 0, 1)),
    scopes: { models: [], endpoints: [] },
  };
  try {
    const { status, body } = await op({ principal } as unknown as RequestContext, request);
    return reply.code(status).send(body);
  } catch (err) {
    const e = err instanceof AirlockError ? err : new AirlockError('internal_error');
    return reply.code(e.status).send({ error: { code: e.code } });
  }
};

test('changes: propose → same person refused → other admin applies → rollback is a proposal → history', async () => {
  let clock = Date.UTC(2026, 10, 22, 12);
  const events: ChangeEvent[] = [];
  const applied: VersionRecord[] = [];
  const changes = createChangeService({
    repo: createSqliteChangeRepo(openAuthzDatabase(authzDatabasePath(dir))),
    now: () => clock++,
    onEvent: (e) => events.push(e),
    onApplied: (v) => {
      applied.push(v);
    },
    validate: (kind, content) => {
      if (kind === 'policy' && content.includes('BROKEN')) throw new Error('parse error at 1:1');
    },
  });
  const v1 = 'permit (principal, action, resource);\n';
  await changes.adopt('policy', v1, 'bootstrap');
  const app = Fastify();
  registerChangeRoutes(app, { route, changes });
  const call = async (who: string, method: 'GET' | 'POST', url: string, payload?: object) => {
    const r = await app.inject({
      method,
      url,
      headers: { 'x-test-admin': who },
      ...(payload ? { payload } : {}),
    });
    return { status: r.statusCode, body: r.json() as Record<string, unknown> & { error?: { code: string } } };
  };

  const bad = await call('alice', 'POST', '/admin/v1/changes', { kind: 'policy', content: 'BROKEN' });
  assert.equal(bad.status, 400);

  const v2 =
    'permit (principal, action, resource);\nforbid (principal, action, resource) when { context.stream };\n';
  const p = await call('alice', 'POST', '/admin/v1/changes', {
    kind: 'policy',
    content: v2,
    note: 'no streaming',
  });
  assert.equal(p.status, 201);
  assert.equal(p.body.baseVersion, 1);
  assert.match(
    String(p.body.diff),
    /^\+forbid \(principal, action, resource\) when \{ context\.stream \};$/m,
  );
  const id = String(p.body.id);

  // A concurrent proposal on the same base will be superseded when the first applies.
  const rival = await call('carol', 'POST', '/admin/v1/changes', {
    kind: 'policy',
    content: 'permit (principal, action, resource) when { true };\n',
  });

  const self = await call('alice', 'POST', `/admin/v1/changes/${id}/approve`);
  assert.equal(self.status, 403);
  assert.equal(self.body.error?.code, 'self_approval_refused');
  assert.equal((await changes.currentVersion('policy'))?.version, 1, 'nothing applied yet');

  const ok = await call('bob', 'POST', `/admin/v1/changes/${id}/approve`);
  assert.equal(ok.status, 200);
  assert.equal((ok.body.version as { version: number }).version, 2);
  assert.equal(applied.at(-1)?.content, v2);
  const current = await changes.currentVersion('policy');
  assert.equal(current?.version, 2);
  assert.equal(current?.approver, 'bob');

  const stale = await call('bob', 'POST', `/admin/v1/changes/${String(rival.body.id)}/approve`);
  assert.equal(stale.status, 409);
  assert.equal((await changes.getChange(String(rival.body.id))).status, 'superseded');

  // Rollback to v1 is a proposal like any other: diffed, and needs a second person.
  const rb = await call('bob', 'POST', '/admin/v1/changes', { kind: 'policy', rollbackTo: 1 });
  assert.equal(rb.status, 201);
  assert.equal(rb.body.rollbackOf, 1);
  assert.match(String(rb.body.diff), /^-forbid/m);
  assert.equal((await call('bob', 'POST', `/admin/v1/changes/${String(rb.body.id)}/approve`)).status, 403);
  assert.equal((await call('alice', 'POST', `/admin/v1/changes/${String(rb.body.id)}/approve`)).status, 200);
  assert.equal((await changes.currentVersion('policy'))?.content, v1);

  // Reject path.
  const r = await call('carol', 'POST', '/admin/v1/changes', {
    kind: 'config',
    content: 'server:\n  port: 8080\n',
  });
  assert.equal(
    (await call('dave', 'POST', `/admin/v1/changes/${String(r.body.id)}/reject`)).body.status,
    'rejected',
  );
  assert.equal((await call('alice', 'POST', `/admin/v1/changes/${String(r.body.id)}/approve`)).status, 409);

  const hist = await call('dave', 'GET', '/admin/v1/changes/history?kind=policy');
  assert.deepEqual(
    (hist.body.data as { version: number; author: string; approver: string | null }[]).map((v) => [
      v.version,
      v.author,
      v.approver,
    ]),
    [
      [1, 'bootstrap', null],
      [2, 'alice', 'bob'],
      [3, 'bob', 'alice'],
    ],
  );
  assert.deepEqual(
    events.map((e) => `${e.type}:${e.actor}`),
    [
      'change.baseline:bootstrap',
      'change.proposed:alice',
      'change.proposed:carol',
      'change.approved:bob',
      'change.applied:bob',
      'change.proposed:bob',
      'change.approved:alice',
      'change.applied:alice',
      'change.proposed:carol',
      'change.rejected:dave',
    ],
  );
  await app.close();
});
