// Break-glass grants on a real SQLite file: role, fresh TOTP and a reason to open; hard expiry to
// the second (injected clock, no timers); flagged actions; review by a different person; counts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AirlockError } from '../../src/errors.ts';
import type { Principal, RequestContext } from '../../src/http/context.ts';
import { createObligationsStage } from '../../src/http/stages/obligations.ts';
import { totp, verifyTotp } from '../../src/identity/users/totp.ts';
import type { ResolvedModel } from '../../src/inference/types.ts';
import { createApprovalService } from '../../src/policy/approvals/approval-service.ts';
import { createSqliteApprovalRepo } from '../../src/policy/approvals/sqlite-approval-repo.ts';
import { authzDatabasePath, openAuthzDatabase } from '../../src/policy/approvals/sqlite-file.ts';
import { createPolicyAuthorizeStage } from '../../src/policy/authorize-stage.ts';
import { createBreakGlassService } from '../../src/policy/breakglass/breakglass-service.ts';
import { createSqliteGrantRepo } from '../../src/policy/breakglass/sqlite-grant-repo.ts';
import type { BreakGlassEvent } from '../../src/policy/breakglass/types.ts';
import { createCedarDecisionPoint } from '../../src/policy/cedar-decision-point.ts';
import { defaultPolicySource } from '../../src/policy/compile.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-bg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const secret = Buffer.from('12345678901234567890');
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0, 250);

function setup(maxTtlMs?: number) {
  let clock = T0;
  const lastStep = new Map<string, number>();
  const events: BreakGlassEvent[] = [];
  const db = openAuthzDatabase(authzDatabasePath(join(dir, String(Math.random()).slice(2))));
  const svc = createBreakGlassService({
    repo: createSqliteGrantRepo(db),
    now: () => clock,
    ...(maxTtlMs ? { maxTtlMs } : {}),
    onEvent: (e) => events.push(e),
    // Same contract as userTotpVerifier: fresh code, step consumed.
    async verifyTotp(user, code) {
      const step = verifyTotp(secret, code, clock, { lastUsedStep: lastStep.get(user) ?? null });
      if (step === undefined) return false;
      lastStep.set(user, step);
      return true;
    },
  });
  return {
    svc,
    db,
    events,
    now: () => clock,
    set: (t: number) => (clock = t),
    code: () => totp(secret, clock),
  };
}

const ops = { id: 'oncall', roles: ['break-glass'] };
const reason = 'INC-4711 database is down, need keys';

describe('break-glass', () => {
  test('the file is created 0600', () => {
    const path = authzDatabasePath(join(dir, 'mode'));
    openAuthzDatabase(path).close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('open needs the role, a written reason and a fresh TOTP code (a code works once)', async () => {
    const s = setup();
    await assert.rejects(s.svc.open({ opener: { id: 'eve', roles: ['admin'] }, reason, totp: s.code() }), {
      code: 'break_glass_refused',
    });
    await assert.rejects(s.svc.open({ opener: ops, reason: '   ', totp: s.code() }), {
      code: 'break_glass_refused',
    });
    await assert.rejects(s.svc.open({ opener: ops, reason, totp: '000000' }), {
      code: 'break_glass_refused',
    });
    const code = s.code();
    const g = await s.svc.open({ opener: ops, reason, totp: code });
    assert.equal(g.principal, 'oncall');
    await assert.rejects(s.svc.open({ opener: ops, reason, totp: code }), { code: 'break_glass_refused' });
    assert.deepEqual(
      s.events.map((e) => e.type),
      [
        'breakglass.refused',
        'breakglass.refused',
        'breakglass.refused',
        'breakglass.opened',
        'breakglass.refused',
      ],
    );
  });

  test('ttl at most 1 h (and at most the configured lower maximum)', async () => {
    const s = setup(15 * 60_000);
    await assert.rejects(s.svc.open({ opener: ops, reason, totp: s.code(), ttlMs: 16 * 60_000 }), {
      code: 'break_glass_refused',
    });
    const g = await s.svc.open({ opener: ops, reason, totp: s.code() });
    assert.equal(g.expiresAt, Math.floor((T0 + 15 * 60_000) / 1000) * 1000);
    const loose = createBreakGlassService({
      repo: createSqliteGrantRepo(s.db),
      verifyTotp: async () => true,
      maxTtlMs: 86_400_000,
      now: s.now,
    });
    await assert.rejects(loose.open({ opener: ops, reason, totp: 'x', ttlMs: 3_600_001 }), {
      code: 'break_glass_refused',
    });
  });

  test('expiry to the second: usable 1 ms before, closed at the expiry', async () => {
    const s = setup();
    const g = await s.svc.open({ opener: ops, reason, totp: s.code(), ttlMs: 600_000 });
    assert.equal(g.expiresAt % 1000, 0);
    s.set(g.expiresAt - 1);
    assert.equal((await s.svc.check(g.id, 'oncall')).id, g.id);
    s.set(g.expiresAt);
    await assert.rejects(s.svc.check(g.id, 'oncall'), { code: 'break_glass_expired' });
    await assert.rejects(s.svc.check(g.id, 'someone-else'), { code: 'break_glass_refused' });
  });

  test('review: not by the opener, not while open; counts of open and unreviewed grants', async () => {
    const s = setup();
    const g = await s.svc.open({ opener: ops, reason, totp: s.code(), ttlMs: 60_000 });
    assert.deepEqual(await s.svc.counts(), { open: 1, unreviewed: 1 });
    await assert.rejects(s.svc.review(g.id, 'auditor'), { code: 'conflict' });
    s.set(g.expiresAt);
    assert.deepEqual(await s.svc.counts(), { open: 0, unreviewed: 1 });
    await assert.rejects(s.svc.review(g.id, 'oncall'), { code: 'self_approval_refused' });
    const r = await s.svc.review(g.id, 'auditor', 'checked the 3 actions');
    assert.equal(r.reviewedBy, 'auditor');
    await assert.rejects(s.svc.review(g.id, 'auditor2'), { code: 'conflict' });
    assert.deepEqual(await s.svc.counts(), { open: 0, unreviewed: 0 });
    assert.equal((await s.svc.list({ unreviewed: true })).length, 0);
  });

  test('early close by its owner; closed grant unusable', async () => {
    const s = setup();
    const g = await s.svc.open({ opener: ops, reason, totp: s.code() });
    await s.svc.close(g.id, 'oncall');
    await assert.rejects(s.svc.check(g.id, 'oncall'), { code: 'break_glass_expired' });
  });

  test('pipeline: an action under a grant waives the approval, is flagged on the trail and counted', async () => {
    const s = setup();
    const g = await s.svc.open({ opener: ops, reason, totp: s.code(), ttlMs: 60_000 });
    const pdp = createCedarDecisionPoint({
      policies: `${defaultPolicySource().text}
@id("premium") @approval("ml-leads") permit (principal, action == Airlock::Action::"chat", resource == Airlock::Model::"premium");`,
      version: 'v-bg',
    });
    const approvals = createApprovalService({ repo: createSqliteApprovalRepo(s.db), now: s.now });
    const ob = createObligationsStage({ approvals, breakGlass: s.svc });
    const authorize = ob.authorize(
      createPolicyAuthorizeStage({ pdp, context: (ctx) => ({ now: s.now(), ...ob.context(ctx) }) }),
    );
    const p: Principal = {
      kind: 'client',
      id: 'oncall',
      credentialId: 'k',
      credentialPrefix: 'alk_x',
      expiresAt: new Date(T0 + 86_400_000),
      scopes: { models: [], endpoints: ['chat'] },
    };
    const ctx = (): RequestContext => ({
      requestId: 'r',
      trace: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: false },
      startedAt: 0,
      operation: 'chat',
      clientAddress: '127.0.0.1',
      headers: { 'x-airlock-break-glass': g.id },
      body: { model: 'premium' },
      stream: false,
      signal: new AbortController().signal,
      principal: p,
      model: { alias: 'premium', endpoints: ['chat'], targets: [] } as unknown as ResolvedModel,
      usage: { promptTokens: 0, completionTokens: 0 },
      trail: [],
      findings: [],
      cleanups: [],
      chunkHooks: [],
    });
    const c = ctx();
    await ob.stage.run(c);
    await authorize.run(c);
    assert.ok(
      c.trail.some(
        (d) => d.stage === 'obligations' && d.detail?.breakGlass === g.id && d.detail?.review === true,
      ),
    );
    assert.equal((await s.svc.get(g.id)).uses, 1);
    s.set(g.expiresAt);
    const late = ctx();
    await assert.rejects(
      (async () => {
        await ob.stage.run(late);
        await authorize.run(late);
      })(),
      (err: unknown) => err instanceof AirlockError && err.code === 'break_glass_expired',
    );
  });
});
