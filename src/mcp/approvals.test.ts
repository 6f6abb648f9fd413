import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AirlockError } from '../errors.ts';
import type { RequestContext } from '../http/context.ts';
import type { Stage } from '../http/pipeline.ts';
import { createApprovalService } from '../policy/approvals/approval-service.ts';
import { createSqliteApprovalRepo } from '../policy/approvals/sqlite-approval-repo.ts';
import { openAuthzDatabase } from '../policy/approvals/sqlite-file.ts';
import { acceptsUrlElicitation, createMcpApprovals, McpApprovalRequiredError } from './approvals.ts';
import { rpcError } from './jsonrpc.ts';
import type { McpState } from './stages.ts';

const session = (protocolVersion: string, clientCapabilities: Record<string, unknown>) => ({
  id: 's1',
  owner: 'client:app',
  protocolVersion,
  clientCapabilities,
  createdAt: 0,
  lastSeen: 0,
});

function ctxWith(mcp: Partial<McpState>, body: Record<string, unknown> = {}): RequestContext {
  return {
    requestId: 'req_1',
    principal: {
      kind: 'client',
      id: 'app',
      credentialId: 'k',
      credentialPrefix: 'alk_',
      expiresAt: new Date(),
      scopes: { models: [], endpoints: [] },
    },
    body,
    trail: [],
    mcp: { method: 'tools/call', rpcId: 1, sessionId: 's1', protocolVersion: undefined, ...mcp },
  } as unknown as RequestContext;
}

describe('acceptsUrlElicitation', () => {
  test('2025-11-25 session that declared elicitation.url → yes', () => {
    assert.equal(
      acceptsUrlElicitation(ctxWith({ session: session('2025-11-25', { elicitation: { url: {} } }) })),
      true,
    );
  });
  test('form-only elicitation, or none → no', () => {
    assert.equal(
      acceptsUrlElicitation(ctxWith({ session: session('2025-11-25', { elicitation: {} }) })),
      false,
    );
    assert.equal(acceptsUrlElicitation(ctxWith({ session: session('2025-11-25', {}) })), false);
  });
  test('a revision before URL mode existed → no, whatever it declares', () => {
    assert.equal(
      acceptsUrlElicitation(ctxWith({ session: session('2025-06-18', { elicitation: { url: {} } }) })),
      false,
    );
  });
  test('2026 era: the capability travels in the request _meta', () => {
    const meta = { 'io.modelcontextprotocol/clientCapabilities': { elicitation: { url: {} } } };
    assert.equal(
      acceptsUrlElicitation(ctxWith({ modern: true, protocolVersion: '2026-07-28' }, { _meta: meta })),
      true,
    );
    assert.equal(acceptsUrlElicitation(ctxWith({ modern: true, protocolVersion: '2026-07-28' })), false);
  });
});

describe('McpApprovalRequiredError', () => {
  const rec = {
    id: 'apr_0123456789abcdef01',
    principal: 'app',
    action: 'tools/call',
    resource: 'Tool::fx__deploy',
    argsHash: 'a'.repeat(64),
    groups: [],
    status: 'pending' as const,
    requestId: 'req_1',
    createdAt: 0,
    expiresAt: Date.UTC(2030, 0, 1),
    decidedBy: null,
    decidedAt: null,
    note: null,
    consumedAt: null,
  };
  test('URL mode: -32042 with one url elicitation (SEP-1036 shape) and the approval id', () => {
    const body = rpcError(
      7,
      new McpApprovalRequiredError(rec, 'https://admin.example/a/apr_x', true, 'fx__deploy'),
    );
    const error = body.error as { code: number; data: Record<string, unknown> };
    assert.equal(error.code, -32042);
    assert.deepEqual((error.data.elicitations as Record<string, unknown>[])[0], {
      mode: 'url',
      elicitationId: rec.id,
      url: 'https://admin.example/a/apr_x',
      message: `A human must approve this call to fx__deploy (approval ${rec.id}); open https://admin.example/a/apr_x, then repeat the identical call.`,
    });
    assert.equal(error.data.code, 'approval_required');
    assert.equal(error.data.approvalId, rec.id);
  });
  test('otherwise: the catalogue code with id, URL and deadline in data, no elicitations', () => {
    const body = rpcError(
      7,
      new McpApprovalRequiredError(rec, 'https://admin.example/a/apr_x', false, 'fx__deploy'),
    );
    const error = body.error as { code: number; message: string; data: Record<string, unknown> };
    assert.equal(error.code, -32003);
    assert.deepEqual(error.data, {
      approvalId: rec.id,
      url: 'https://admin.example/a/apr_x',
      expiresAt: '2030-01-01T00:00:00.000Z',
      code: 'approval_required',
    });
    assert.match(error.message, new RegExp(rec.id));
  });
});

describe('createMcpApprovals.wrap', () => {
  const tool = {
    name: 'fx__deploy',
    server: 'fx',
    upstreamName: 'deploy',
    definition: { name: 'fx__deploy', inputSchema: {} },
    hash: 'h',
    pin: 'approved' as const,
  };
  // An authorize stage that needs an approval unless the context carries one (like Cedar with @approval).
  const inner = (approvals: ReturnType<typeof createMcpApprovals>): Stage => ({
    name: 'authorize',
    run(ctx) {
      if (approvals.context(ctx).approval) {
        ctx.trail.push({ stage: 'authorize', outcome: 'allow' });
        return;
      }
      ctx.trail.push({
        stage: 'authorize',
        outcome: 'deny',
        code: 'approval_required',
        detail: { obligations: { approval: ['ops'] } },
      });
      throw new AirlockError('approval_required');
    },
  });

  test('needs-approval → one request; approved → the identical call passes once; then a new request', async () => {
    const service = createApprovalService({ repo: createSqliteApprovalRepo(openAuthzDatabase(':memory:')) });
    const approvals = createMcpApprovals({
      approvals: service,
      approvalUrl: (id) => `https://admin.example/approvals/${id}`,
    });
    const stage = approvals.wrap(inner(approvals));
    const call = (args: Record<string, unknown>) =>
      stage.run(
        ctxWith({ tool, arguments: args, session: session('2025-11-25', { elicitation: { url: {} } }) }),
      );

    const first = await Promise.resolve(call({ env: 'prod' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(first instanceof McpApprovalRequiredError);
    const id = (first.rpc.data as { approvalId: string }).approvalId;
    const pending = await service.get(id);
    assert.deepEqual([pending.resource, pending.groups], ['Tool::fx__deploy', ['ops']]);
    await service.approve(id, { id: 'bob', roles: ['ops'] });

    await assert.rejects(Promise.resolve(call({ env: 'staging' })), McpApprovalRequiredError);
    await call({ env: 'prod' });
    assert.equal((await service.get(id)).status, 'consumed');
    const again = await Promise.resolve(call({ env: 'prod' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(again instanceof McpApprovalRequiredError);
    assert.notEqual((again.rpc.data as { approvalId: string }).approvalId, id);
  });
});
