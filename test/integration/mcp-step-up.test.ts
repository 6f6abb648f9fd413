// Step-up on /mcp (P8, issue 6) through the real surface, the real Cedar decision point and the real
// step-up service: a tool whose policy says @stepup("mfa") answers with JSON-RPC error
// step_up_required whose data names POST /admin/v1/stepup; once the caller's console session has
// stepped up (a fresh TOTP code), the same call succeeds and its audit entry says it was stepped up.
// An API-key caller is told step-up requires an interactive user. Tools without @stepup are unaffected.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../../src/http/context.ts';
import { approveServer } from '../../src/mcp/approve.ts';
import { createPolicyToolAuthorizer } from '../../src/mcp/policy-authorizer.ts';
import { mcpStepUp } from '../../src/mcp/step-up.ts';
import { createCedarDecisionPoint } from '../../src/policy/cedar-decision-point.ts';
import { createStepUpService } from '../../src/policy/stepup/step-up-service.ts';
import { FIXTURE_SERVER, type McpHarness, principal, startMcpHarness } from '../fixtures/mcp/harness.ts';

const POLICIES = `
@id("echo.anyone")
permit (principal, action == Airlock::Action::"tools/call", resource is Airlock::Tool)
when { resource.name == "fixture__echo" };

@id("add.stepped-up")
@stepup("mfa")
permit (principal, action == Airlock::Action::"tools/call", resource is Airlock::Tool)
when { resource.name == "fixture__add" };
`;
// A console-session user (what the session authenticator yields) and an API-key caller.
const sessionUser: Principal = {
  ...principal('carol'),
  credentialId: 'sess_1',
  credentialPrefix: 'session',
};
const apiKeyCaller = principal('app');
const CODE = '424242';

describe('step-up on /mcp: @stepup tools need a stepped-up console session', () => {
  let h: McpHarness;
  const clients: Client[] = [];
  const stepUp = createStepUpService({
    // The TOTP check itself is covered with real users and codes in step-up.test.ts.
    verifyTotp: async (id, code) => id === 'carol' && code === CODE,
  });

  before(async () => {
    const pdp = createCedarDecisionPoint({ policies: POLICIES, version: 'mcp-stepup' });
    h = await startMcpHarness({
      tokens: {
        'carol-session': sessionUser,
        'carol-other-session': { ...sessionUser, credentialId: 'sess_2' },
        'app-key': apiKeyCaller,
      },
      allowed: {},
      authorize: createPolicyToolAuthorizer(pdp, { context: stepUp.context }),
      wrapAuthorize: mcpStepUp(stepUp),
      mcp: {
        surface: { allowedHosts: ['127.0.0.1'], listRefresh: '0s' },
        servers: [
          {
            name: 'fixture',
            transport: 'stdio',
            command: 'node',
            args: [FIXTURE_SERVER, '--state-dir', '$STATE'],
          },
        ],
      },
    });
    for (const u of h.plane.upstreams.values()) await approveServer(u, h.plane.pins, { actor: 'test' });
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await h?.close();
  });

  const connect = async (token: string) => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(h.url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    clients.push(client);
    return client;
  };
  const refusal = async (client: Client) => {
    const err = await client.callTool({ name: 'fixture__add', arguments: { a: 2, b: 3 } }).then(
      () => assert.fail('expected step_up_required'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof McpError, String(err));
    return err as McpError & { data: { code: string; stepUp: Record<string, unknown> } };
  };

  test('refused with step_up_required naming POST /admin/v1/stepup; after the step-up the call succeeds, audited', async () => {
    const carol = await connect('carol-session');
    const echo = await carol.callTool({ name: 'fixture__echo', arguments: { text: 'hi' } });
    assert.equal(echo.isError ?? false, false, 'a tool without @stepup is unaffected');

    const err = await refusal(carol);
    assert.equal(err.data.code, 'step_up_required');
    assert.equal(err.data.stepUp.path, '/admin/v1/stepup');
    assert.equal(err.data.stepUp.method, 'POST');
    assert.equal(err.data.stepUp.canStepUp, true);
    assert.match(err.message, /POST \/admin\/v1\/stepup/);

    await assert.rejects(stepUp.complete({ principalId: 'carol', credentialId: 'sess_1' }, '000000'), {
      code: 'step_up_required',
    });
    await stepUp.complete({ principalId: 'carol', credentialId: 'sess_1' }, CODE);
    const sum = await carol.callTool({ name: 'fixture__add', arguments: { a: 2, b: 3 } });
    assert.deepEqual(sum.structuredContent, { sum: 5 });

    // The entry of the allowed call (written before forwarding) says it was stepped up.
    const last = h.audit.entries.filter((e) => e.type === 'request.completed').at(-1)!;
    const entries = h.audit.entries.filter((e) => e.requestId === last.requestId);
    assert.match(JSON.stringify(entries), /"steppedUp":true/, 'the audit entry says the call was stepped up');
  });

  test('an API-key caller is told step-up requires an interactive user; another session does not inherit it', async () => {
    const app = await connect('app-key');
    const err = await refusal(app);
    assert.equal(err.data.code, 'step_up_required');
    assert.equal(err.data.stepUp.canStepUp, false);
    assert.match(err.message, /requires an interactive user/);

    // The marker is bound to the session that stepped up (test 1), not to the user.
    const other = await refusal(await connect('carol-other-session'));
    assert.equal(other.data.stepUp.canStepUp, true);
  });
});
