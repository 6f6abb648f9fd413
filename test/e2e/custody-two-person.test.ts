// Model custody as an operator lives it, through the real `airlock` binary (init, models, serve) and
// the embedded demo model:
// - init leaves custody enforced, the demo model signed, imported, approved and active;
// - a second version is imported; approving and activating it are two-person proposals on the admin
//   API: the CLI refuses to do it alone, the author cannot approve their own proposal, a different
//   admin can, a rejected proposal stays rejected, and every step is in the audit log;
// - real chat requests are measured per version (Prometheus, and hourly aggregates the CLI reads
//   offline): v1 serves, then the worker is pointed at v2, and `airlock models compare` shows both.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { parse, stringify } from 'yaml';
import { custodyKeyPath } from '../../src/custody/bootstrap.ts';
import { parsePrivateKey } from '../../src/custody/manifest.ts';
import { writeBundle } from '../../src/custody/test-fixtures.ts';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;

// biome-ignore lint/suspicious/noExplicitAny: tests read loosely shaped --json output
type Json = Record<string, any>;

async function airlock(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string; json: () => Json }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, out: stdout, err: stderr, json: () => JSON.parse(stdout) };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr, json: () => JSON.parse(x.stdout) };
  }
}

function serve(config: string): Promise<{ child: ChildProcess; client: string; admin: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`gateway not ready:\n${buf}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.includes('"msg":"airlock ready"'));
      if (line) {
        clearTimeout(timer);
        const ready = JSON.parse(line) as { client: string; admin: string };
        resolve({ child, client: ready.client, admin: ready.admin });
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}:\n${buf}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Two streamed answers and one JSON answer from the demo model. */
async function traffic(client: OpenAI): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const stream = await client.chat.completions.create({
      model: 'demo',
      max_tokens: 6,
      stream: true,
      messages: [{ role: 'user', content: `hello ${i}` }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.ok(text.length > 0);
  }
  const res = await client.chat.completions.create({
    model: 'demo',
    max_tokens: 6,
    messages: [{ role: 'user', content: 'hello json' }],
  });
  assert.ok((res.usage?.completion_tokens ?? 0) > 0);
}

describe('two-person model custody and per-version numbers', () => {
  let dir: string;
  let config: string;
  let init: { config: string; url: string; adminKey: string; clientKey: string; custodyKey: string };
  let adminB: string;
  let gw: { child: ChildProcess; client: string; admin: string } | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-custody-2p-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const r = await airlock(['init', '--data', dir, '--port', String(port), '--json']);
    assert.equal(r.code, 0, r.err);
    init = r.json() as typeof init;
    config = init.config;
    // Free ports chosen at bind time (the URLs come from serve's ready line): no collisions with
    // suites running alongside.
    const cfg = parse(readFileSync(config, 'utf8')) as Json;
    cfg.listeners.client.port = 0;
    cfg.listeners.admin.port = 0;
    writeFileSync(config, stringify(cfg));
    const b = await airlock([
      'keys',
      'create',
      '--config',
      config,
      '--owner',
      'bob',
      '--admin',
      '--ttl',
      '1h',
      '--json',
    ]);
    assert.equal(b.code, 0, b.err);
    adminB = b.json().key;
    // v2 of the demo model arrives as a bundle signed with the site's custody key.
    const key = parsePrivateKey(readFileSync(custodyKeyPath(dir), 'utf8'));
    writeBundle(join(dir, 'media', 'v2'), { name: 'demo', version: '2', seed: 2, key });
  });

  after(async () => {
    if (gw) await stop(gw.child);
    rmSync(dir, { recursive: true, force: true });
  });

  test('init: custody enforced, the demo model signed by the init key, active behind alias demo', async () => {
    const cfg = parse(readFileSync(config, 'utf8')) as Json;
    assert.equal(cfg.custody.trustedKeys[0].name, 'airlock-init');
    assert.equal(init.custodyKey, custodyKeyPath(dir));
    assert.equal(statSync(init.custodyKey).mode & 0o777, 0o600);
    assert.equal(cfg.custody.enforce, undefined, 'enforce is the default, not spelled out');
    const list = (await airlock(['models', 'list', '--config', config, '--json'])).json();
    assert.deepEqual(list.aliases, { demo: 'demo@1' });
    assert.equal(list.versions[0].state, 'active');
    assert.equal(list.versions[0].signedBy, 'airlock-init');
    const doctor = await airlock(['doctor', '--config', config, '--json']);
    const codes = (doctor.json().findings as Json[]).map((f) => f.code);
    assert.ok(codes.includes('custody_enforced'), codes.join(' '));
  });

  test('import v2; approving it alone is refused (two-person custody is the default)', async () => {
    const imp = await airlock(['models', 'import', join(dir, 'media', 'v2'), '--config', config, '--json']);
    assert.equal(imp.code, 0, imp.err);
    assert.equal(imp.json().state, 'imported');
    const alone = await airlock(['models', 'approve', 'demo@2', '--config', config]);
    assert.notEqual(alone.code, 0);
    assert.match(alone.err, /model_two_person_required|two admins/);
    const shown = (await airlock(['models', 'show', 'demo@2', '--config', config, '--json'])).json();
    assert.equal(shown.state, 'imported');
  });

  test('v1 serves real requests; /metrics counts them under demo@1', async () => {
    gw = await serve(config);
    await traffic(new OpenAI({ apiKey: init.clientKey, baseURL: `${gw.client}/v1`, maxRetries: 0 }));
    const metrics = await (await fetch(`${gw.client}/metrics`)).text();
    assert.match(metrics, /airlock_model_version_requests_total\{version="demo@1",outcome="ok"\} 3/);
    assert.match(metrics, /airlock_model_version_ttft_seconds_count\{version="demo@1"\} 2/);
    assert.match(metrics, /airlock_model_version_completion_tokens_total\{version="demo@1"\} [1-9]/);
  });

  test('propose → self-approval refused → a different admin approves; every step audited', async () => {
    const asA = { AIRLOCK_ADMIN_KEY: init.adminKey };
    const asB = { AIRLOCK_ADMIN_KEY: adminB };
    const url = ['--url', gw!.admin, '--config', config, '--json'];
    const proposed = await airlock(['models', 'approve', 'demo@2', '--reason', 'eval passed', ...url], asA);
    assert.equal(proposed.code, 0, proposed.err);
    const p = proposed.json();
    assert.equal(p.status, 'proposed');
    assert.equal(p.action, 'approve');
    assert.notEqual(p.author, 'bob');
    assert.equal(
      (await airlock(['models', 'show', 'demo@2', '--config', config, '--json'])).json().state,
      'imported',
    );

    const self = await airlock(['models', 'proposals', 'approve', p.id, ...url], asA);
    assert.notEqual(self.code, 0);
    assert.match(self.err, /self_approval_refused/);

    const ok = await airlock(['models', 'proposals', 'approve', p.id, ...url], asB);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.json().status, 'applied');
    assert.equal(ok.json().decidedBy, 'bob');
    assert.equal(ok.json().model.state, 'approved');
    const again = await airlock(['models', 'proposals', 'approve', p.id, ...url], asB);
    assert.match(again.err, /conflict/, 'a decided proposal is not applied twice');

    // A rejected activation stays rejected and changes nothing.
    const act1 = (await airlock(['models', 'activate', 'demo@2', '--alias', 'demo', ...url], asB)).json();
    const rejected = await airlock(['models', 'proposals', 'reject', act1.id, ...url], asA);
    assert.equal(rejected.json().status, 'rejected');
    assert.match((await airlock(['models', 'proposals', 'approve', act1.id, ...url], asA)).err, /conflict/);
    assert.equal(
      (await airlock(['models', 'show', 'demo', '--config', config, '--json'])).json().id,
      'demo@1',
    );

    const list = (await airlock(['models', 'proposals', 'list', ...url], asA)).json();
    assert.deepEqual((list.data as Json[]).map((x) => x.status).sort(), ['applied', 'rejected']);

    const res = await fetch(`${gw!.admin}/admin/v1/audit/entries?type=admin.change&limit=200`, {
      headers: { authorization: `Bearer ${adminB}` },
    });
    const entries = ((await res.json()) as { data: Json[] }).data.map((e) => e.detail);
    const about = entries.filter(
      (d) => d.proposal === p.id || (d.change === 'model.transition' && d.id === 'demo@2'),
    );
    assert.deepEqual(
      about.map((d) => `${d.change}:${d.actor}`),
      [`model.proposed:${p.author}`, 'model.transition:bob', 'model.proposal_approved:bob'],
    );
    assert.ok(entries.some((d) => d.change === 'model.proposal_rejected' && d.proposal === act1.id));
  });

  test('activation by two admins, then v2 serves; compare shows both versions side by side', async () => {
    const url = ['--url', gw!.admin, '--config', config, '--json'];
    const act = (
      await airlock(['models', 'activate', 'demo@2', '--alias', 'demo', ...url], {
        AIRLOCK_ADMIN_KEY: adminB,
      })
    ).json();
    const applied = await airlock(['models', 'proposals', 'approve', act.id, ...url], {
      AIRLOCK_ADMIN_KEY: init.adminKey,
    });
    assert.equal(applied.code, 0, applied.err);
    const list = (await airlock(['models', 'list', '--config', config, '--json'])).json();
    assert.deepEqual(list.aliases, { demo: 'demo@2' });
    await stop(gw!.child);
    gw = undefined;

    // The worker is bound to the alias (worker.model: demo): the next start loads v2 from the store.
    gw = await serve(config);
    await traffic(new OpenAI({ apiKey: init.clientKey, baseURL: `${gw.client}/v1`, maxRetries: 0 }));
    assert.match(
      await (await fetch(`${gw.client}/metrics`)).text(),
      /airlock_model_version_requests_total\{version="demo@2",outcome="ok"\} 3/,
    );
    // Rollback is a two-person change too.
    const adminUrl = ['--url', gw.admin, '--config', config, '--json'];
    const back = await airlock(['models', 'rollback', 'demo', '1', ...adminUrl], {
      AIRLOCK_ADMIN_KEY: init.adminKey,
    });
    assert.equal(back.json().action, 'rollback');
    assert.equal(back.json().version, 'demo@1');
    const backApplied = await airlock(['models', 'proposals', 'approve', back.json().id, ...adminUrl], {
      AIRLOCK_ADMIN_KEY: adminB,
    });
    assert.equal(backApplied.code, 0, backApplied.err);
    assert.deepEqual((await airlock(['models', 'list', '--config', config, '--json'])).json().aliases, {
      demo: 'demo@1',
    });
    await stop(gw.child); // flushes the hourly aggregates
    gw = undefined;

    const cmp = await airlock([
      'models',
      'compare',
      'demo',
      'demo@2',
      '--since',
      '2h',
      '--config',
      config,
      '--json',
    ]);
    assert.equal(cmp.code, 0, cmp.err);
    const c = cmp.json();
    assert.equal(c.a.id, 'demo@1', 'an alias names the version it points at (rolled back to v1)');
    assert.equal(c.b.id, 'demo@2');
    for (const side of [c.a, c.b]) {
      assert.equal(side.requests, 3);
      assert.equal(side.errors, 0);
      assert.equal(side.errorRate, 0);
      assert.ok(side.ttftMeanMs > 0, JSON.stringify(side));
      assert.ok(side.tokensPerSecond > 0, JSON.stringify(side));
    }
    assert.equal(c.delta.requests, 0);
    assert.equal(c.delta.ttftMeanMs, c.b.ttftMeanMs - c.a.ttftMeanMs);
    const text = await airlock(['models', 'compare', 'demo@1', 'demo@2', '--config', config]);
    assert.match(text.out, /demo@1\s+demo@2\s+delta/);
    assert.match(text.out, /tokens\/s/);
    assert.match(text.out, /error rate\s+0\.00%\s+0\.00%/);
  });
});
