// `airlock tasks` against a running `airlock serve` (real child processes, one SQLite store): a task
// ended from the CLI is refused by the serving gateway on the token's next use — the revocation
// travels through the store, not through the process that made it.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import { BIN, createKey, startServe } from '../helpers/serve-harness.ts';

const run = promisify(execFile);
const airlock = (args: string[]) => run(process.execPath, [BIN, ...args], { env: { ...process.env } });

describe('airlock tasks', () => {
  let dir: string;
  let upstream: MockOpenAiUpstream;
  let configPath: string;
  let serve: ChildProcess | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-tasks-'));
    upstream = await startMockOpenAiUpstream({ chunkCount: 2 });
    configPath = join(dir, 'airlock.yaml');
    writeFileSync(
      configPath,
      stringify({
        version: 1,
        dataDir: '.',
        listeners: { client: { host: '127.0.0.1', port: 0 } },
        upstreams: [{ name: 'mock', kind: 'openai', baseUrl: upstream.url }],
        custody: { exempt: [{ upstream: 'mock', reason: 'loopback mock upstream in a test' }] },
        models: [{ alias: 'm', targets: [{ upstream: 'mock', model: 'x' }] }],
      }),
    );
  });
  after(async () => {
    serve?.kill('SIGTERM');
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('tasks revoke ends a task the running gateway then refuses; tasks list shows it', async () => {
    const key = await createKey(configPath, '--owner', 'agent-app');
    const served = await startServe(configPath);
    serve = served.child;
    const url = served.client;
    const tokenRes = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: key,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        task_id: 'nightly-report',
        scope: 'model:m endpoint:chat',
      }),
    });
    assert.equal(tokenRes.status, 200);
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const chat = () =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
      });
    assert.equal((await chat()).status, 200);

    const bad = await airlock(['tasks', 'revoke', '--config', configPath, 'no spaces']).catch(
      (e: { code: number }) => e,
    );
    assert.equal((bad as { code: number }).code, 2);
    const revoked = JSON.parse(
      (await airlock(['tasks', 'revoke', '--config', configPath, 'nightly-report', '--json'])).stdout,
    );
    assert.equal(revoked.taskId, 'nightly-report');
    assert.equal(revoked.revoked, true);

    const refused = await chat();
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'revoked_token');
    const listed = JSON.parse(
      (await airlock(['tasks', 'list', '--config', configPath, '--json'])).stdout,
    ) as {
      revocations: { kind: string; id: string }[];
    };
    assert.deepEqual(
      listed.revocations.map((r) => [r.kind, r.id]),
      [['task', 'nightly-report']],
    );
    const text = (await airlock(['tasks', 'list', '--config', configPath])).stdout;
    assert.match(text, /^task {2}nightly-report {2}revoked /);
  });
});
