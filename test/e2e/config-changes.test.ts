// An approved config change through the real `airlock serve` (P8 two-person rule): the author
// cannot approve it; a second admin can; its live part (quotas) is in force for the very next
// request, its restart-only part (approvals) is reported as restartRequired with the field paths, on
// /readyz (still ready) and by `airlock doctor` offline; every step is in the audit log.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import {
  adminRequest,
  BIN,
  createKey,
  mockGatewayConfig,
  startServe,
  stopServe,
} from '../helpers/serve-harness.ts';

const run = promisify(execFile);

describe('config changes: live where safe, restart reported where not', () => {
  let dir: string;
  let config: string;
  let upstream: MockOpenAiUpstream;
  let child: ChildProcess;
  let url: string;
  let adminUrl: string;
  let clientKey: string;
  let adminA: string;
  let adminB: string;
  let doc: Record<string, unknown>;

  before(
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'airlock-config-changes-'));
      upstream = await startMockOpenAiUpstream({ chunkCount: 2 });
      config = join(dir, 'airlock.yaml');
      doc = mockGatewayConfig(
        { mock: upstream.url },
        { models: [{ alias: 'open', targets: [{ upstream: 'mock', model: 'y' }] }] },
      );
      writeFileSync(config, stringify(doc));
      const key = (...extra: string[]) => createKey(config, ...extra);
      clientKey = await key('--owner', 'app', '--models', 'open,second');
      adminA = await key('--owner', 'alice', '--admin');
      adminB = await key('--owner', 'bob', '--admin');
      await serve();
    },
    { timeout: 180_000 },
  );

  async function serve() {
    const served = await startServe(config);
    child = served.child;
    url = served.client;
    adminUrl = served.admin;
  }
  async function stop() {
    await stopServe(child);
  }
  const readiness = async () => {
    const res = await fetch(`${url}/readyz`);
    assert.equal(res.status, 200, 'a pending restart never makes the node unready');
    return ((await res.json()) as { checks: Record<string, { ok: boolean; reason?: string }> }).checks.config;
  };
  const doctorFindings = async () => {
    const r = await run(process.execPath, [BIN, 'doctor', '--config', config, '--json']).catch(
      (e: { stdout: string }) => e,
    );
    const report = JSON.parse(r.stdout) as { findings: { code: string; level: string; message: string }[] };
    return report.findings.filter((f) => f.code.startsWith('config_'));
  };
  let approvedText = '';

  after(
    async () => {
      await stop();
      await upstream.close();
      rmSync(dir, { recursive: true, force: true });
    },
    { timeout: 180_000 },
  );

  const chat = () =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'open', messages: [{ role: 'user', content: 'hello' }] }),
    });
  const admin = (key: string, method: string, path: string, body?: unknown) =>
    adminRequest(adminUrl, key, method, path, body);

  test('propose → second admin approves → quotas live at once, approvals reported restart-only', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await chat()).status, 200, 'no quota yet');

    const broken = await admin(adminA, 'POST', '/admin/v1/changes', {
      kind: 'config',
      content: 'version: 2\n',
    });
    assert.equal(broken.status, 400, 'a config that would not load never reaches an approver');
    const policyViaConfig = await admin(adminA, 'POST', '/admin/v1/changes', {
      kind: 'config',
      content: stringify({ ...doc, policy: { defaults: false } }),
    });
    assert.equal(policyViaConfig.status, 400);

    const next = {
      ...doc,
      quotas: { perKey: { requestsPerMinute: 1 } },
      approvals: { pendingTtl: '17m' },
    };
    approvedText = stringify(next);
    const proposed = await admin(adminA, 'POST', '/admin/v1/changes', {
      kind: 'config',
      content: approvedText,
    });
    assert.equal(proposed.status, 201, JSON.stringify(proposed.body));
    assert.match(String(proposed.body.diff), /requestsPerMinute: 1/);
    const id = String(proposed.body.id);
    const self = await admin(adminA, 'POST', `/admin/v1/changes/${id}/approve`, {});
    assert.equal(self.status, 403, 'two-person rule');

    const approved = await admin(adminB, 'POST', `/admin/v1/changes/${id}/approve`, {});
    assert.equal(approved.status, 200);
    const effect = approved.body.effect as { live: string[]; restartRequired: boolean; restart: string[] };
    // (Writing perKey replaces the section's defaults, so concurrency changes with it.)
    assert.ok(effect.live.includes('quotas.perKey.requestsPerMinute'), JSON.stringify(effect));
    assert.ok(effect.live.every((p) => p.startsWith('quotas.')));
    assert.equal(effect.restartRequired, true);
    assert.deepEqual(effect.restart, ['approvals.pendingTtl']);

    // Live: one request per minute per key from now on.
    assert.equal((await chat()).status, 200);
    const limited = await chat();
    assert.equal(limited.status, 429);
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limited');

    // Restart-only: still ready, and the pending fields are named.
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    const checks = ((await ready.json()) as { checks: Record<string, { ok: boolean; reason?: string }> })
      .checks;
    assert.match(
      String(checks.config?.reason),
      /restart pending: approved config v2 changes approvals\.pendingTtl/,
    );

    // Offline: doctor compares the file with the approved version.
    const doctor = await run(process.execPath, [BIN, 'doctor', '--config', config, '--json']).catch(
      (e: { stdout: string }) => e,
    );
    const report = JSON.parse(doctor.stdout) as {
      findings: { code: string; level: string; message: string }[];
    };
    const pending = report.findings.find((f) => f.code === 'config_restart_pending');
    assert.equal(pending?.level, 'warn');
    assert.match(String(pending?.message), /approved config v2 changes approvals\.pendingTtl/);

    // Audited: proposal, approval, the live apply and the pending restart.
    const audit = await admin(adminB, 'GET', '/admin/v1/audit/entries?type=admin.change&limit=100');
    const changes = JSON.stringify(audit.body);
    for (const step of [
      'change.proposed',
      'change.approved',
      'change.applied',
      'config.live_applied',
      'config.restart_pending',
    ])
      assert.ok(changes.includes(`"change":"${step}"`), `audit has ${step}`);
  });

  test('restart: an approved config outlives the old file; once deployed nothing is pending; an edited file is in force and reported', async () => {
    // Same old file: the approved v2 is still in force (live part) and its restart-only part pending.
    await stop();
    await serve();
    assert.equal((await chat()).status, 200);
    assert.equal((await chat()).status, 429);
    assert.match(
      String((await readiness())?.reason),
      /restart pending: approved config v2 changes approvals\.pendingTtl/,
    );

    // The approved version deployed to the file: nothing pending, doctor quiet.
    await stop();
    writeFileSync(config, approvedText);
    await serve();
    assert.equal(await readiness(), undefined);
    assert.deepEqual(await doctorFindings(), []);

    // An operator edits the file outside the flow: the file is in force (no rate limit) and reported.
    await stop();
    writeFileSync(config, stringify({ ...doc, quotas: { perKey: { requestsPerMinute: 100 } } }));
    await serve();
    for (let i = 0; i < 3; i++) assert.equal((await chat()).status, 200);
    assert.match(String((await readiness())?.reason), /not an approved version \(latest v2\)/);
    assert.deepEqual(
      (await doctorFindings()).map((f) => [f.code, f.level]),
      [['config_unrecorded', 'warn']],
    );
  });
});
