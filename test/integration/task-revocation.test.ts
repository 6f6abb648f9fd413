// Ending a task (P8) with real tokens through real gateways: the admin API revokes every token of a
// task, the holder ends its own task with RFC 7009 /oauth/revoke, and two gateway replicas on one
// PostgreSQL database verify each other's task tokens and refuse each other's revoked tasks on the
// next use (revocations are read from the store on every use, so there is no propagation delay).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { parseConfig } from '../../src/config/load.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { createTaskTokenStore } from '../../src/identity/task-token-store.ts';
import { TOKEN_EXCHANGE_GRANT } from '../../src/identity/token-endpoint.ts';
import { closeAdapters, createAdapters } from '../../src/inference/adapter-registry.ts';
import { createRouter } from '../../src/inference/router.ts';
import { createLogger } from '../../src/logging.ts';
import { type OpenedVault, openVault } from '../../src/secrets/open-vault.ts';
import { createSecretResolver } from '../../src/secrets/secret-files.ts';
import { openPostgresStore } from '../../src/store/postgres-store.ts';
import type { Store } from '../../src/store/types.ts';
import {
  createRecordingAuditSink,
  type Harness,
  postJson,
  type RecordingAuditSink,
  startHarness,
} from '../helpers/gateway-harness.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';

const AT = 'urn:ietf:params:oauth:token-type:access_token';
const chat = { model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] };

async function form(url: string, params: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function mint(base: string, subject: string, taskId: string): Promise<string> {
  const r = await form(`${base}/oauth/token`, {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: subject,
    subject_token_type: AT,
    task_id: taskId,
    scope: 'model:gpt-test endpoint:chat',
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.access_token as string;
}

const use = async (base: string, token: string) => {
  const r = await postJson(`${base}/v1/chat/completions`, token, chat);
  return { status: r.status, code: (r.json?.error as { code?: string } | undefined)?.code };
};

describe('ending a task on one gateway', () => {
  let upstream: MockOpenAiUpstream;
  let h: Harness;
  before(async () => {
    upstream = await startMockOpenAiUpstream({ chunkCount: 2 });
    h = await startHarness(upstream.url);
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  test('admin revokes a task: all its tokens refused on next use, no new ones; other tasks unaffected; audited', async () => {
    const t1 = await mint(h.url, h.clientKey, 'job-1');
    const t2 = await mint(h.url, h.clientKey, 'job-1');
    const other = await mint(h.url, h.clientKey, 'job-2');
    for (const t of [t1, t2, other]) assert.equal((await use(h.url, t)).status, 200);

    // Only admins end tasks on the admin surface; a client key or a task token cannot.
    assert.equal((await postJson(`${h.adminUrl}/admin/v1/tasks/job-1/revoke`, h.clientKey, {})).status, 401);
    assert.equal((await postJson(`${h.adminUrl}/admin/v1/tasks/job-1/revoke`, t1, {})).status, 401);
    const bad = await postJson(`${h.adminUrl}/admin/v1/tasks/job%20one/revoke`, h.adminKey, {});
    assert.equal(bad.status, 400);
    assert.equal((bad.json?.error as { code?: string } | undefined)?.code, 'invalid_request');
    assert.equal((await use(h.url, t1)).status, 200, 'refused admin calls changed nothing');

    const r = await postJson(`${h.adminUrl}/admin/v1/tasks/job-1/revoke`, h.adminKey, {});
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { taskId: 'job-1', revoked: true });
    assert.deepEqual(await use(h.url, t1), { status: 401, code: 'revoked_token' });
    assert.deepEqual(await use(h.url, t2), { status: 401, code: 'revoked_token' });
    assert.equal((await use(h.url, other)).status, 200);
    const again = await form(`${h.url}/oauth/token`, {
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: h.clientKey,
      subject_token_type: AT,
      task_id: 'job-1',
      scope: 'model:gpt-test endpoint:chat',
    });
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');

    const list = (await (
      await fetch(`${h.adminUrl}/admin/v1/tasks/revocations`, {
        headers: { authorization: `Bearer ${h.adminKey}` },
      })
    ).json()) as { data: { kind: string; id: string; until: string }[] };
    assert.deepEqual(
      list.data.map((e) => [e.kind, e.id]),
      [['task', 'job-1']],
    );
    assert.ok(Date.parse(list.data[0]!.until) > Date.now());

    const revoked = h.audit.entries.filter((e) => e.type === ('task_token.revoked' as never));
    assert.equal(revoked.length, 1);
    assert.equal((revoked[0]!.detail as { taskId: string }).taskId, 'job-1');
    assert.match((revoked[0]!.detail as { actor: string }).actor, /^test-admin\//);
    const refusedUses = h.audit.entries.filter(
      (e) =>
        e.type === ('task_token.used' as never) && (e.detail as { reason?: string }).reason === 'revoked',
    );
    assert.equal(refusedUses.length, 2);
    assert.ok(!JSON.stringify(h.audit.entries).includes(t1), 'tokens never reach the audit log');
  });

  test('the holder ends its task with RFC 7009 /oauth/revoke; nothing is revealed about other tokens', async () => {
    const t1 = await mint(h.url, h.clientKey, 'job-self');
    const sibling = await mint(h.url, h.clientKey, 'job-self');
    assert.equal((await use(h.url, sibling)).status, 200);

    const missing = await form(`${h.url}/oauth/revoke`, {});
    assert.deepEqual([missing.status, missing.body.error], [400, 'invalid_request']);
    // RFC 7009 §2.2: invalid tokens and tokens that are not airlock task tokens also get 200 …
    for (const token of ['garbage', `${t1.slice(0, -4)}AAAA`, h.clientKey])
      assert.deepEqual(await form(`${h.url}/oauth/revoke`, { token }), { status: 200, body: {} });
    // … and change nothing: a forged signature ended no task, and API keys are not revoked here.
    assert.equal((await use(h.url, t1)).status, 200);
    assert.equal((await postJson(`${h.url}/v1/chat/completions`, h.clientKey, chat)).status, 200);

    const r = await form(`${h.url}/oauth/revoke`, { token: t1, token_type_hint: 'access_token' });
    assert.deepEqual(r, { status: 200, body: {} });
    assert.deepEqual(await use(h.url, t1), { status: 401, code: 'revoked_token' });
    assert.deepEqual(await use(h.url, sibling), { status: 401, code: 'revoked_token' });
    assert.deepEqual(await form(`${h.url}/oauth/revoke`, { token: t1 }), { status: 200, body: {} });
    const revoked = h.audit.entries.filter(
      (e) =>
        e.type === ('task_token.revoked' as never) && (e.detail as { taskId: string }).taskId === 'job-self',
    );
    assert.equal(revoked.length, 1, 'revoking an already revoked task records nothing new');
    assert.match((revoked[0]!.detail as { actor: string }).actor, /^test-app\//);
  });
});

interface Replica {
  readonly url: string;
  readonly adminUrl: string;
  readonly gateway: Gateway;
  readonly audit: RecordingAuditSink;
  close(): Promise<void>;
}

describe('two gateway replicas on one PostgreSQL database', () => {
  const adminPg = process.env['AIRLOCK_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `airlock_tasks_${process.pid}_${randomBytes(4).toString('hex')}`;
  const dbUrl = new URL(adminPg);
  dbUrl.pathname = `/${dbName}`;
  let upstream: MockOpenAiUpstream;
  let a: Replica;
  let b: Replica;
  const dirs: string[] = [];

  async function replica(seedFrom?: string, identity?: Record<string, unknown>): Promise<Replica> {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-replica-'));
    dirs.push(dataDir);
    mkdirSync(join(dataDir, 'secrets'), { mode: 0o700 });
    writeFileSync(join(dataDir, 'secrets', 'UPSTREAM_KEY'), 'sk-upstream\n', { mode: 0o600 });
    // Replicas share the master key and the API-key pepper (deployment secrets), nothing else.
    if (seedFrom)
      for (const f of ['master.key', 'api-key-pepper'])
        copyFileSync(join(seedFrom, 'secrets', f), join(dataDir, 'secrets', f));
    const config = parseConfig({
      version: 1,
      dataDir,
      store: { driver: 'postgres', url: dbUrl.toString() },
      listeners: { client: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
      upstreams: [
        {
          name: 'mock',
          kind: 'openai',
          baseUrl: upstream.url,
          apiKey: 'secret:UPSTREAM_KEY',
          health: { interval: '1h' },
        },
      ],
      models: [{ alias: 'gpt-test', targets: [{ upstream: 'mock', model: 'upstream-model' }] }],
      ...(identity ? { identity } : {}),
    });
    const store: Store = await openPostgresStore({ url: dbUrl.toString() });
    await store.migrate();
    const vault: OpenedVault = await openVault(config.vault, { dataDir, env: {}, store: config.store });
    const adapters = await createAdapters(config.upstreams, { resolveSecret: createSecretResolver(dataDir) });
    const audit = createRecordingAuditSink();
    const gateway = createGateway(config, {
      store,
      router: createRouter(config, { adapters }),
      audit,
      logger: createLogger('silent'),
      dataDir,
      tokenStore: createTaskTokenStore({ connection: vault.connection, vault: vault.vault }),
    });
    const urls = await gateway.start();
    return {
      url: urls.client,
      adminUrl: urls.admin!,
      gateway,
      audit,
      async close() {
        await gateway.close();
        await closeAdapters(adapters);
        await vault.close();
        await store.close();
      },
    };
  }

  before(async () => {
    const c = new pg.Client({ connectionString: adminPg });
    await c.connect();
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.end();
    upstream = await startMockOpenAiUpstream({ chunkCount: 2 });
    a = await replica();
    // The pepper file exists once A made its first key; the vault master key once A opened the vault.
    await a.gateway.keys.create({ owner: 'warm-up', ttlMs: 60_000, actor: 'test' });
    b = await replica(join(dirs[0]!));
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await upstream?.close();
    const c = new pg.Client({ connectionString: adminPg });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await c.end();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('a token minted by A is accepted by B; revoked on B, refused by A on its next use', async () => {
    const key = await a.gateway.keys.create({
      owner: 'app',
      models: ['gpt-test'],
      ttlMs: 3_600_000,
      actor: 't',
    });
    const admin = await b.gateway.keys.create({ owner: 'ops', kind: 'admin', ttlMs: 3_600_000, actor: 't' });
    const token = await mint(a.url, key.key, 'shared-job');
    assert.equal((await use(b.url, token)).status, 200, 'B verifies a key it never made (from the store)');
    assert.equal((await use(a.url, token)).status, 200);
    const jwksA = (await (await fetch(`${a.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    const jwksB = (await (await fetch(`${b.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    assert.deepEqual(jwksA.keys, jwksB.keys);
    assert.equal(jwksA.keys.length, 1, 'one signing key for the fleet');

    const r = await postJson(`${b.adminUrl}/admin/v1/tasks/shared-job/revoke`, admin.key, {});
    assert.equal(r.status, 200);
    assert.deepEqual(await use(a.url, token), { status: 401, code: 'revoked_token' });
    assert.deepEqual(await use(b.url, token), { status: 401, code: 'revoked_token' });

    // And the other way round, self-service: ended on A, refused by B.
    const t2 = await mint(b.url, key.key, 'second-job');
    assert.equal((await use(a.url, t2)).status, 200);
    assert.equal((await form(`${a.url}/oauth/revoke`, { token: t2 })).status, 200);
    assert.deepEqual(await use(b.url, t2), { status: 401, code: 'revoked_token' });
  });

  test('with maxStaleness, a replica refuses a task ended elsewhere once its cached answer ages out', async () => {
    const c = await replica(dirs[0]!, { tokens: { revocations: { maxStaleness: '2s' } } });
    try {
      const key = await a.gateway.keys.create({
        owner: 'app2',
        models: ['gpt-test'],
        ttlMs: 3_600_000,
        actor: 't',
      });
      const admin = await a.gateway.keys.create({
        owner: 'ops2',
        kind: 'admin',
        ttlMs: 3_600_000,
        actor: 't',
      });
      const token = await mint(a.url, key.key, 'cached-job');
      assert.equal((await use(c.url, token)).status, 200); // C now holds a "not revoked" answer
      assert.equal(
        (await postJson(`${a.adminUrl}/admin/v1/tasks/cached-job/revoke`, admin.key, {})).status,
        200,
      );
      assert.deepEqual(await use(a.url, token), { status: 401, code: 'revoked_token' });
      // C may serve the token until its answer is 2 s old, never after: poll until it refuses.
      let last = await use(c.url, token);
      for (let i = 0; i < 200 && last.status === 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        last = await use(c.url, token);
      }
      assert.deepEqual(last, { status: 401, code: 'revoked_token' });
      // And a revocation made through C itself applies on C at once.
      const t2 = await mint(a.url, key.key, 'cached-job-2');
      assert.equal((await use(c.url, t2)).status, 200);
      const cAdmin = await c.gateway.keys.create({
        owner: 'ops3',
        kind: 'admin',
        ttlMs: 3_600_000,
        actor: 't',
      });
      assert.equal(
        (await postJson(`${c.adminUrl}/admin/v1/tasks/cached-job-2/revoke`, cAdmin.key, {})).status,
        200,
      );
      assert.deepEqual(await use(c.url, t2), { status: 401, code: 'revoked_token' });
    } finally {
      await c.close();
    }
  });
});
