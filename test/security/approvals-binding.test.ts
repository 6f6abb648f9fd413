// Attack suite for approvals (P8): a granted approval opens exactly one request — the one it was
// bound to — once, before it expires. Replays with other arguments, another principal or a second
// use are refused; requesters cannot approve themselves. Runs the real Cedar decision point, the
// real authorize stage and the obligations stage over an in-memory SQLite repo with a fake clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AirlockError } from '../../src/errors.ts';
import type { Principal, RequestContext } from '../../src/http/context.ts';
import { createObligationsStage } from '../../src/http/stages/obligations.ts';
import type { ResolvedModel } from '../../src/inference/types.ts';
import { createApprovalService } from '../../src/policy/approvals/approval-service.ts';
import { createSqliteApprovalRepo } from '../../src/policy/approvals/sqlite-approval-repo.ts';
import { openAuthzDatabase } from '../../src/policy/approvals/sqlite-file.ts';
import type { ApprovalEvent } from '../../src/policy/approvals/types.ts';
import { createPolicyAuthorizeStage } from '../../src/policy/authorize-stage.ts';
import { createCedarDecisionPoint } from '../../src/policy/cedar-decision-point.ts';
import { defaultPolicySource } from '../../src/policy/compile.ts';

const pdp = createCedarDecisionPoint({
  policies: `${defaultPolicySource().text}
@id("premium") @approval("ml-leads") permit (principal, action == Airlock::Action::"chat", resource == Airlock::Model::"premium");`,
  version: 'v-test',
});

const who = (id: string): Principal => ({
  kind: 'client',
  id,
  credentialId: `key_${id}`,
  credentialPrefix: 'alk_x',
  expiresAt: new Date(Date.UTC(2030, 0, 1)),
  scopes: { models: ['default'], endpoints: ['chat'] },
});

let n = 0;
function ctxFor(
  p: Principal,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): RequestContext {
  return {
    requestId: `req_${++n}`,
    trace: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: false },
    startedAt: 0,
    operation: 'chat',
    clientAddress: '127.0.0.1',
    headers,
    body,
    stream: false,
    signal: new AbortController().signal,
    principal: p,
    model: { alias: 'premium', endpoints: ['chat'], targets: [] } as unknown as ResolvedModel,
    usage: { promptTokens: 0, completionTokens: 0 },
    trail: [],
    findings: [],
    cleanups: [],
    chunkHooks: [],
  };
}

function setup() {
  let clock = Date.UTC(2026, 10, 22, 12, 0, 0);
  const events: ApprovalEvent[] = [];
  const approvals = createApprovalService({
    repo: createSqliteApprovalRepo(openAuthzDatabase(':memory:')),
    now: () => clock,
    pendingTtlMs: 3_600_000,
    approvedTtlMs: 600_000,
    onEvent: (e) => events.push(e),
  });
  const obligations = createObligationsStage({ approvals });
  const authorize = obligations.authorize(createPolicyAuthorizeStage({ pdp, context: obligations.context }));
  const run = async (ctx: RequestContext): Promise<string> => {
    try {
      await obligations.stage.run(ctx);
      await authorize.run(ctx);
      return 'allow';
    } catch (err) {
      assert.ok(err instanceof AirlockError, String(err));
      return err.code;
    }
  };
  /** Asks, returns the approval id from the refusal. */
  const ask = async (p: Principal, body: Record<string, unknown>): Promise<string> => {
    const ctx = ctxFor(p, body);
    let id = '';
    try {
      await obligations.stage.run(ctx);
      await authorize.run(ctx);
    } catch (err) {
      assert.ok(err instanceof AirlockError);
      assert.equal(err.code, 'approval_required');
      assert.equal(err.status, 403);
      id = /apr_[\w-]+/.exec(err.publicDetail ?? '')?.[0] ?? '';
      assert.match(err.publicDetail ?? '', /x-airlock-approval/);
    }
    assert.ok(id, 'approval id in the public detail');
    assert.ok(ctx.trail.some((d) => d.stage === 'obligations' && d.detail?.approvalId === id));
    return id;
  };
  const lead = { id: 'lead', roles: ['ml-leads'] };
  return { approvals, run, ask, events, lead, tick: (ms: number) => (clock += ms) };
}

const body = { model: 'premium', messages: [{ role: 'user', content: 'rotate prod keys' }] };

describe('approvals: binding and replay', () => {
  test('needs-approval → pending id; approved → the identical retry passes once; the approval is consumed', async () => {
    const s = setup();
    const id = await s.ask(who('alice'), body);
    // Asking again before a decision reuses the pending request (no pile-up).
    assert.equal(await s.ask(who('alice'), { ...body }), id);
    assert.equal(await s.run(ctxFor(who('alice'), body, { 'x-airlock-approval': id })), 'approval_invalid');
    await s.approvals.approve(id, s.lead);
    // Key order does not matter (RFC 8785 canonical hash).
    const reordered = { messages: body.messages, model: 'premium' };
    const ctx = ctxFor(who('alice'), reordered, { 'x-airlock-approval': id });
    assert.equal(await s.run(ctx), 'allow');
    assert.ok(ctx.trail.some((d) => d.detail?.consumed === true && d.detail?.approvedBy === 'lead'));
    assert.equal((await s.approvals.get(id)).status, 'consumed');
    assert.deepEqual(
      s.events.map((e) => e.type),
      ['approval.requested', 'approval.approved', 'approval.consumed'],
    );
  });

  test('replay: second use refused', async () => {
    const s = setup();
    const id = await s.ask(who('alice'), body);
    await s.approvals.approve(id, s.lead);
    assert.equal(await s.run(ctxFor(who('alice'), body, { 'x-airlock-approval': id })), 'allow');
    assert.equal(await s.run(ctxFor(who('alice'), body, { 'x-airlock-approval': id })), 'approval_invalid');
  });

  test('replay: concurrent uses — exactly one wins', async () => {
    const s = setup();
    const id = await s.ask(who('alice'), body);
    await s.approvals.approve(id, s.lead);
    const results = await Promise.all(
      [1, 2, 3].map(() => s.run(ctxFor(who('alice'), body, { 'x-airlock-approval': id }))),
    );
    assert.deepEqual(results.sort(), ['allow', 'approval_invalid', 'approval_invalid']);
  });

  test('replay: different arguments refused (and the approval survives for the right ones)', async () => {
    const s = setup();
    const id = await s.ask(who('alice'), body);
    await s.approvals.approve(id, s.lead);
    const other = { ...body, messages: [{ role: 'user', content: 'drop all tables' }] };
    assert.equal(await s.run(ctxFor(who('alice'), other, { 'x-airlock-approval': id })), 'approval_invalid');
    assert.equal(await s.run(ctxFor(who('alice'), body, { 'x-airlock-approval': id })), 'allow');
  });

  test('replay: another principal refused', async () => {
    const s = setup();
    const id = await s.ask(who('alice'), body);
    await s.approvals.approve(id, s.lead);
    assert.equal(await s.run(ctxFor(who('mallory'), body, { 'x-airlock-approval': id })), 'approval_invalid');
  });

  test('expiry: unused approval refused from its deadline on; an undecided request cannot be approved late', async () => {
    const s = setup();
    const id = await s.ask(who('alice'), body);
    await s.approvals.approve(id, s.lead);
    s.tick(600_000);
    assert.equal(await s.run(ctxFor(who('alice'), body, { 'x-airlock-approval': id })), 'approval_invalid');
    const id2 = await s.ask(who('alice'), { ...body, n: 2 });
    s.tick(3_600_000);
    await assert.rejects(s.approvals.approve(id2, s.lead), { code: 'conflict' });
  });

  test('self-approval refused, even holding the group; an approver without the group refused', async () => {
    const s = setup();
    const id = await s.ask(who('alice'), body);
    await assert.rejects(s.approvals.approve(id, { id: 'alice', roles: ['ml-leads'] }), {
      code: 'self_approval_refused',
    });
    await assert.rejects(s.approvals.approve(id, { id: 'bob', roles: ['admin'] }), {
      code: 'admin_forbidden',
    });
    assert.equal((await s.approvals.get(id)).status, 'pending');
  });

  test('denied approval cannot be used; forged and unknown ids refused', async () => {
    const s = setup();
    const id = await s.ask(who('alice'), body);
    await s.approvals.deny(id, s.lead, 'not today');
    assert.equal(await s.run(ctxFor(who('alice'), body, { 'x-airlock-approval': id })), 'approval_invalid');
    assert.equal(
      await s.run(ctxFor(who('alice'), body, { 'x-airlock-approval': 'apr_AAAAAAAAAAAAAAAAAAAAAA' })),
      'approval_invalid',
    );
    assert.equal(
      await s.run(ctxFor(who('alice'), body, { 'x-airlock-approval': "'; DROP TABLE" })),
      'approval_invalid',
    );
  });
});
