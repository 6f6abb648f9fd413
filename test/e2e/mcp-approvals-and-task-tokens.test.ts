// The agent gateway's privilege story through the real `airlock serve` and the official MCP SDK
// client (P3, P8, P9):
// - a tools/call whose policy needs approval answers with a URL-mode elicitation (-32042) naming the
//   admin URL of a fresh approval; a different admin approves it; the identical retry succeeds once;
//   changed arguments, another principal or a second retry are refused; a client that did not
//   declare URL elicitation gets a plain error with the approval id and URL in `data`;
// - an agent holding a task token (RFC 8693 exchange of a user's IdP token, with the agent as actor,
//   audience = the MCP resource) is an Agent acting on behalf of that user: its tool scopes cap what
//   it sees and calls, the audit entry carries the act chain and task id, and once the task is
//   revoked the token is refused with an RFC 6750 / RFC 9728 challenge.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, UrlElicitationRequiredError } from '@modelcontextprotocol/sdk/types.js';
import * as jose from 'jose';
import { stringify } from 'yaml';
import { checksummed } from '../../src/dlp/rules/synth.ts';
import { FIXTURE_SERVER } from '../fixtures/mcp/harness.ts';
import { createKey, startServe, stopServe } from '../helpers/serve-harness.ts';
import { idpKeys, jwksOf, writeJwksFile } from '../security/identity-fixtures.ts';

const RESOURCE = 'https://airlock.test/mcp';
const CONTENT_SERVER = join(import.meta.dirname, '../fixtures/mcp/content-server.ts');
const CONTENT_SECRET = checksummed('ghp_', 'e2e-content-secret');
const IDP = 'https://idp.test/realms/main';

const POLICY = `
@id("echo-needs-approval")
@approval("admin")
permit (principal is Airlock::ServiceAccount, action == Airlock::Action::"tools/call", resource is Airlock::Tool)
when { principal.kind == "client" && resource.name == "fixture__echo" };

@id("app-prompts")
permit (principal == Airlock::ServiceAccount::"app", action in [Airlock::Action::"prompts/list", Airlock::Action::"prompts/get"], resource is Airlock::Prompt);

@id("agents-for-analysts")
permit (principal is Airlock::Agent, action == Airlock::Action::"tools/call", resource is Airlock::Tool)
when { principal has onBehalfOf && principal.onBehalfOf in Airlock::Role::"analyst" && context has taskId };
`;

interface AuditEntry {
  type: string;
  code?: string;
  principal?: { id: string };
  detail: Record<string, unknown> & { trail?: { stage: string; detail?: Record<string, unknown> }[] };
}

describe('MCP approvals by URL elicitation, and agents with task tokens', () => {
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let adminUrl: string;
  let appKey: string;
  let otherKey: string;
  let agentKey: string;
  let adminA: string;
  const clients: Client[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-mcp-privilege-'));
    const ed = idpKeys().ed;
    mkdirSync(join(dir, 'secrets'), { mode: 0o700 });
    writeFileSync(join(dir, 'secrets', 'CONTENT_SECRET'), `${CONTENT_SECRET}\n`, { mode: 0o600 });
    const config = join(dir, 'airlock.yaml');
    writeFileSync(
      config,
      stringify({
        version: 1,
        dataDir: '.',
        listeners: { client: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
        identity: {
          audience: RESOURCE,
          jwt: {
            issuers: [{ issuer: IDP, jwksFile: writeJwksFile(jwksOf([ed])), algorithms: ['EdDSA'] }],
          },
        },
        mcp: {
          surface: { resource: RESOURCE },
          servers: [
            {
              name: 'fixture',
              transport: 'stdio',
              command: 'node',
              args: [FIXTURE_SERVER],
              requireApproval: false,
            },
            {
              name: 'content',
              transport: 'stdio',
              command: 'node',
              args: [CONTENT_SERVER],
              env: { CONTENT_SECRET: 'secret:CONTENT_SECRET' },
              requireApproval: false,
            },
          ],
        },
        policy: { policies: POLICY },
      }),
    );
    const key = (...extra: string[]) => createKey(config, ...extra);
    appKey = await key('--owner', 'app');
    otherKey = await key('--owner', 'other-app');
    agentKey = await key('--owner', 'agent-bot');
    adminA = await key('--owner', 'alice-admin', '--admin');
    const served = await startServe(config);
    child = served.child;
    url = served.client;
    adminUrl = served.admin;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await stopServe(child);
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(token: string, elicitation: boolean): Promise<Client> {
    const client = new Client(
      { name: 'test-agent', version: '1.0.0' },
      { capabilities: elicitation ? { elicitation: { url: {} } } : {} },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    clients.push(client);
    return client;
  }

  const approve = (id: string, key = adminA) =>
    fetch(`${adminUrl}/admin/v1/approvals/${id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{}',
    });

  async function elicitationOf(p: Promise<unknown>): Promise<{ id: string; url: string }> {
    const err = await p.then(
      () => assert.fail('expected URLElicitationRequiredError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UrlElicitationRequiredError, String(err));
    assert.equal(err.code, ErrorCode.UrlElicitationRequired);
    const [e] = err.elicitations;
    assert.equal(e?.mode, 'url');
    return { id: e!.elicitationId, url: e!.url };
  }

  const text = (r: unknown) => (r as { content: { text: string }[] }).content.map((c) => c.text).join('');

  const audit = async (query: string): Promise<AuditEntry[]> => {
    const res = await fetch(`${adminUrl}/admin/v1/audit/entries?limit=500&${query}`, {
      headers: { authorization: `Bearer ${adminA}` },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { data: AuditEntry[] }).data;
  };

  test('approval by URL-mode elicitation: approved once, for exactly those arguments and that caller', async () => {
    const app = await connect(appKey, true);
    const listed = (await app.listTools()).tools.map((t) => t.name);
    assert.ok(listed.includes('fixture__echo'), 'a tool obtainable through approval is listed');
    assert.ok(!listed.includes('fixture__add'), 'a tool outside the policy is not');

    const first = await elicitationOf(app.callTool({ name: 'fixture__echo', arguments: { text: 'deploy' } }));
    assert.match(first.id, /^apr_/);
    assert.equal(first.url, `${adminUrl}/admin/v1/approvals/${first.id}`);
    // The URL is the approver's view of the request: pending, bound to this caller and tool.
    const view = await fetch(first.url, { headers: { authorization: `Bearer ${adminA}` } });
    const pending = (await view.json()) as { status: string; principal: string; resource: string };
    assert.deepEqual(
      [pending.status, pending.principal, pending.resource],
      ['pending', 'app', 'Tool::fixture__echo'],
    );
    const again = await elicitationOf(app.callTool({ name: 'fixture__echo', arguments: { text: 'deploy' } }));
    assert.equal(again.id, first.id, 'a retry before the decision reuses the pending request');

    assert.equal((await approve(first.id)).status, 200);

    const changed = await elicitationOf(
      app.callTool({ name: 'fixture__echo', arguments: { text: 'deploy everything' } }),
    );
    assert.notEqual(changed.id, first.id, 'other arguments need their own approval');
    const other = await connect(otherKey, true);
    const foreign = await elicitationOf(
      other.callTool({ name: 'fixture__echo', arguments: { text: 'deploy' } }),
    );
    assert.notEqual(foreign.id, first.id, 'another principal cannot use it');

    const ok = await app.callTool({ name: 'fixture__echo', arguments: { text: 'deploy' } });
    assert.equal(text(ok), 'deploy');
    const replay = await elicitationOf(
      app.callTool({ name: 'fixture__echo', arguments: { text: 'deploy' } }),
    );
    assert.notEqual(replay.id, first.id, 'the approval was used up');

    const consumed = (await audit('principal=app&type=request.authorized')).filter((e) =>
      e.detail.trail?.some((d) => d.stage === 'obligations' && d.detail?.approvalId === first.id),
    );
    assert.equal(consumed.length, 1, 'exactly one call went through on the approval');
    const step = consumed[0]!.detail.trail!.find((d) => d.stage === 'obligations')!;
    assert.equal(step.detail?.approvedBy, 'alice-admin');
  });

  test('prompts through the served gateway: listed per policy, credentials redacted on the way out', async () => {
    const app = await connect(appKey, false);
    const names = (await app.listPrompts()).prompts.map((p) => p.name).sort();
    assert.deepEqual(names, ['content__internal_only', 'content__leaky', 'content__summarize']);
    const leaky = await app.getPrompt({ name: 'content__leaky' });
    assert.ok(!JSON.stringify(leaky.messages).includes(CONTENT_SECRET));
    const other = await connect(otherKey, false);
    assert.deepEqual((await other.listPrompts()).prompts, [], 'no policy, no prompts');
  });

  test('a client without URL elicitation gets the approval id and URL in error.data', async () => {
    const plain = await connect(otherKey, false);
    const err = await plain.callTool({ name: 'fixture__echo', arguments: { text: 'plain' } }).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof McpError && !(err instanceof UrlElicitationRequiredError), String(err));
    const data = err.data as { code: string; approvalId: string; url: string };
    assert.equal(data.code, 'approval_required');
    assert.match(data.approvalId, /^apr_/);
    assert.equal(data.url, `${adminUrl}/admin/v1/approvals/${data.approvalId}`);
    assert.match(err.message, new RegExp(data.approvalId));
  });

  test('an agent with a task token acts for its user, within its scopes; revoked, it is refused', async () => {
    const ed = idpKeys().ed;
    const now = Math.floor(Date.now() / 1000);
    const userToken = await new jose.SignJWT({
      scope: 'tool:fixture__echo tool:fixture__add model:*',
      roles: ['analyst'],
      airlock_kind: 'user',
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: ed.kid })
      .setIssuer(IDP)
      .setSubject('alice')
      .setAudience(RESOURCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 1800)
      .sign(ed.privateKey);
    const exchange = (audience: string) =>
      fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: userToken,
          subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
          actor_token: agentKey,
          actor_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          task_id: 'task-42',
          scope: 'tool:fixture__echo',
          audience,
        }).toString(),
      });
    const wrongAudience = await exchange('https://elsewhere.test/mcp');
    assert.equal(wrongAudience.status, 400);
    assert.equal(((await wrongAudience.json()) as { error: string }).error, 'invalid_target');
    const issued = await exchange(RESOURCE);
    assert.equal(issued.status, 200);
    const taskToken = ((await issued.json()) as { access_token: string }).access_token;

    const agent = await connect(taskToken, true);
    const listed = (await agent.listTools()).tools.map((t) => t.name);
    assert.deepEqual(listed, ['fixture__echo'], 'the token’s tool scopes cap what the agent sees');
    assert.equal(text(await agent.callTool({ name: 'fixture__echo', arguments: { text: 'hi' } })), 'hi');
    const add = await agent.callTool({ name: 'fixture__add', arguments: { a: 1, b: 2 } }).then(
      () => assert.fail('outside the token scope'),
      (e: unknown) => e,
    );
    assert.ok(add instanceof McpError);
    assert.equal((add.data as { code: string }).code, 'tool_not_found');

    const entries = (await audit('principal=alice&type=request.completed')).filter(
      (e) => e.detail.surface === 'mcp' && e.detail.tool === 'fixture__echo',
    );
    assert.ok(entries.length >= 1);
    assert.deepEqual(entries.at(-1)!.detail.delegation, {
      credentialKind: 'task-token',
      subjectKind: 'user',
      act: { sub: 'agent-bot' },
      taskId: 'task-42',
    });
    const authorized = (await audit('principal=alice&type=request.authorized')).at(-1)!;
    const decided = authorized.detail.trail!.find((d) => d.stage === 'authorize')!;
    assert.deepEqual(decided.detail?.policies, ['agents-for-analysts'], 'Cedar saw an Agent for an analyst');
    const dump = JSON.stringify(await audit('from=0'));
    assert.ok(!dump.includes(taskToken) && !dump.includes(userToken), 'no token in the audit log');

    const revoked = await fetch(`${url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: taskToken }).toString(),
    });
    assert.equal(revoked.status, 200);
    const refused = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${taskToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    assert.equal(refused.status, 401);
    const challenge = refused.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer /);
    assert.match(challenge, /error="invalid_token"/);
    assert.match(
      challenge,
      /resource_metadata="https:\/\/airlock\.test\/\.well-known\/oauth-protected-resource\/mcp"/,
    );
    await assert.rejects(agent.listTools(), 'the SDK client is refused too');
  });
});
