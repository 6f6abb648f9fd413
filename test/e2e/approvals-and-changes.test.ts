// Privilege that is temporary and watched (P8), through the real `airlock serve`:
// - a policy marks a model as needing approval; the first call is refused with an approval id, an
//   admin approves it, the identical retry succeeds once, and a replay or a changed request is refused;
// - a policy change is a proposal; its author cannot approve it, a second admin can, and the new
//   policy is in force at once.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { policyConfigSchema } from '../../src/policy/config.ts';
import { policySourceText } from '../../src/policy/privilege-plane.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import { BIN, createKey, mockGatewayConfig, startServe, stopServe } from '../helpers/serve-harness.ts';

const run = promisify(execFile);

const GUARD_POLICY = `
@id("guarded-needs-approval")
@approval("admin")
permit (principal is Airlock::ServiceAccount, action == Airlock::Action::"chat", resource is Airlock::Model)
when { principal.kind == "client" && resource.alias == "guarded" };
`;

describe('approvals and two-person changes', () => {
  let dir: string;
  let upstream: MockOpenAiUpstream;
  let child: ChildProcess;
  let url: string;
  let adminUrl: string;
  let clientKey: string;
  let adminA: string;
  let adminB: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-approvals-'));
    upstream = await startMockOpenAiUpstream({ chunkCount: 2 });
    const config = join(dir, 'airlock.yaml');
    writeFileSync(
      config,
      stringify(
        mockGatewayConfig(
          { mock: upstream.url },
          {
            models: [
              { alias: 'guarded', targets: [{ upstream: 'mock', model: 'x' }] },
              { alias: 'open', targets: [{ upstream: 'mock', model: 'y' }] },
            ],
            policy: { policies: GUARD_POLICY },
          },
        ),
      ),
    );
    const key = (...extra: string[]) => createKey(config, ...extra);
    clientKey = await key('--owner', 'app', '--models', 'guarded,open');
    adminA = await key('--owner', 'alice', '--admin');
    adminB = await key('--owner', 'bob', '--admin');
    const served = await startServe(config);
    child = served.child;
    url = served.client;
    adminUrl = served.admin;
  });

  after(async () => {
    await stopServe(child);
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const chat = (model: string, content: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    });
  const admin = (key: string, path: string, body: unknown = {}) =>
    fetch(`${adminUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  test('approval: pending → approved → used once for exactly that request', async () => {
    assert.equal((await chat('open', 'hi')).status, 200, 'models without the annotation are unaffected');
    const first = await chat('guarded', 'deploy please');
    assert.equal(first.status, 403);
    const err = ((await first.json()) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'approval_required');
    const id = /apr_[A-Za-z0-9_-]+/.exec(err.message)?.[0];
    assert.ok(id, err.message);

    assert.equal((await admin(adminA, `/admin/v1/approvals/${id}/approve`)).status, 200);
    const changed = await chat('guarded', 'deploy something else', { 'x-airlock-approval': id });
    assert.equal(changed.status, 403, 'an approval does not cover other arguments');
    const ok = await chat('guarded', 'deploy please', { 'x-airlock-approval': id });
    assert.equal(ok.status, 200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /airlock_privilege_open\{kind="approvals_pending"\} 0/);
    assert.match(metrics, /airlock_privilege_open\{kind="breakglass_unreviewed"\} 0/);
    const replay = await chat('guarded', 'deploy please', { 'x-airlock-approval': id });
    assert.equal(replay.status, 403, 'an approval is single-use');
  });

  test('two-person rule: the author cannot approve their own policy change; a second admin can', async () => {
    const forbidOpen = `@id("close-open")\nforbid (principal, action == Airlock::Action::"chat", resource is Airlock::Model) when { resource.alias == "open" };\n`;
    // The baseline is what the node started with (shipped defaults + the config's inline policies).
    const base = policySourceText(policyConfigSchema.parse({ policies: GUARD_POLICY }), dir);
    const proposed = await admin(adminA, '/admin/v1/changes', {
      kind: 'policy',
      content: `${base}\n${forbidOpen}`,
    });
    assert.equal(proposed.status, 201);
    const change = (await proposed.json()) as { id: string };
    const self = await admin(adminA, `/admin/v1/changes/${change.id}/approve`);
    assert.equal(self.status, 403);
    assert.equal(((await self.json()) as { error: { code: string } }).error.code, 'self_approval_refused');
    assert.equal((await chat('open', 'still open')).status, 200, 'nothing changes before approval');
    assert.equal((await admin(adminB, `/admin/v1/changes/${change.id}/approve`)).status, 200);
    const closed = await chat('open', 'now closed');
    assert.ok(
      closed.status === 403 || closed.status === 404,
      `the new policy is in force (${closed.status})`,
    );

    // The tabletop exercise: the complete, offline story of that config change.
    const { stdout } = await run(process.execPath, [
      BIN,
      'audit',
      'trace',
      '--change',
      change.id,
      '--config',
      join(dir, 'airlock.yaml'),
      '--json',
    ]);
    const story = JSON.parse(stdout) as { entries: { detail: { change: string; actor: string } }[] };
    const steps = story.entries.map((e) => e.detail.change);
    for (const step of ['change.proposed', 'change.approved', 'change.applied'])
      assert.ok(steps.includes(step), `${step} in ${steps.join(', ')}`);
    const author = story.entries.find((e) => e.detail.change === 'change.proposed')!.detail.actor;
    assert.ok(story.entries.some((e) => e.detail.change === 'change.approved' && e.detail.actor !== author));
  });
});
