// `airlock policy test|explain|whatcan` against policy and case files on disk.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/cli/args.ts';
import { policyCommand } from '../../src/cli/commands/policy.ts';
import type { CliIo } from '../../src/cli/types.ts';
import { defaultPolicySource } from '../../src/policy/compile.ts';

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const io: CliIo = { stdout, stderr, env: {}, cwd: process.cwd() };
  const code = await policyCommand.run(argv, io);
  return { code, out: stdout.text(), err: stderr.text() };
}

const dir = mkdtempSync(join(tmpdir(), 'airlock-policy-cli-'));
const site = join(dir, 'site.cedar');
writeFileSync(
  site,
  `${defaultPolicySource().text}
@id("premium.approval")
@approval("ml-leads")
@ttl("15m")
permit (principal is Airlock::ServiceAccount, action == Airlock::Action::"chat", resource is Airlock::Model)
when { resource.tier == "premium" };
`,
);
const entities = join(dir, 'entities.yaml');
writeFileSync(
  entities,
  `- type: ServiceAccount
  id: billing
  attrs: { kind: client, scopes: { models: [gpt-small], endpoints: ["*"] } }
- type: ServiceAccount
  id: ops
  attrs: { kind: admin, scopes: { models: [], endpoints: [] } }
- type: Model
  id: gpt-small
  attrs: { alias: gpt-small, tier: standard }
- type: Model
  id: gpt-big
  attrs: { alias: gpt-big, tier: premium }
`,
);

describe('airlock policy', () => {
  test('policy test: all cases match → exit 0; a mismatch → exit 1 naming the case', async () => {
    const cases = join(dir, 'cases.yaml');
    writeFileSync(
      cases,
      `entities:
  - { type: ServiceAccount, id: billing, attrs: { kind: client, scopes: { models: [gpt-small], endpoints: ["*"] } } }
cases:
  - name: billing chats with its model
    principal: ServiceAccount::"billing"
    action: chat
    resource: Model::"gpt-small"
    expect: allow
    policies: [api-key.chat]
  - name: billing cannot use another model
    principal: ServiceAccount::"billing"
    action: chat
    resource: Model::"gpt-other"
    expect: deny
  - name: premium needs approval
    principal: ServiceAccount::"billing"
    action: chat
    resource: { type: Model, id: big, attrs: { alias: big, tier: premium } }
    expect: needs-approval
  - name: approved premium
    principal: ServiceAccount::"billing"
    action: chat
    resource: { type: Model, id: big, attrs: { alias: big, tier: premium } }
    context: { approval: { id: a1, approvers: [carol], groups: [ml-leads] } }
    expect: allow
`,
    );
    const ok = await run('test', cases, '--policies', site);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /4 passed, 0 failed/);

    const bad = join(dir, 'bad-cases.json');
    writeFileSync(
      bad,
      JSON.stringify({
        cases: [
          {
            name: 'wrongly expected',
            principal: {
              type: 'ServiceAccount',
              id: 'x',
              attrs: { kind: 'client', scopes: { models: [], endpoints: [] } },
            },
            action: 'chat',
            resource: 'Model::"m"',
            expect: 'allow',
          },
        ],
      }),
    );
    const fail = await run('test', bad, '--json');
    assert.equal(fail.code, 1);
    const doc = JSON.parse(fail.out);
    assert.equal(doc.failed, 1);
    assert.equal(doc.cases[0].decision, 'deny');
  });

  test('policy explain: decision, deciding policies and obligations', async () => {
    const r = await run(
      'explain',
      '--principal',
      'ServiceAccount::"billing"',
      '--action',
      'chat',
      '--resource',
      'Model::"gpt-big"',
      '--entities',
      entities,
      '--policies',
      site,
      '--json',
    );
    assert.equal(r.code, 0);
    const d = JSON.parse(r.out);
    assert.equal(d.decision, 'needs-approval');
    assert.deepEqual(d.policies, ['premium.approval']);
    assert.deepEqual(d.obligations, { approval: ['ml-leads'], stepUp: [], ttlMs: 900_000 });

    const text = await run(
      'explain',
      '--principal',
      'ServiceAccount::"billing"',
      '--action',
      'chat',
      '--resource',
      'Model::"gpt-small"',
      '--entities',
      entities,
      '--context',
      '{"findings":["pii.email"]}',
    );
    assert.match(text.out, /^decision: allow\npolicies: api-key\.chat\n/);
  });

  test('policy whatcan: the models and admin actions a principal may use', async () => {
    const r = await run('whatcan', 'ServiceAccount::"billing"', '--entities', entities, '--json');
    assert.equal(r.code, 0);
    const doc = JSON.parse(r.out);
    assert.deepEqual(doc.models.chat, ['gpt-small']);
    assert.deepEqual(doc.models['models/list'], ['gpt-small']);
    assert.equal(doc.listModels, true);
    assert.deepEqual(doc.admin, []);
    const ops = await run('whatcan', 'ServiceAccount::"ops"', '--entities', entities, '--models', 'a,b');
    assert.match(ops.out, /chat\s+\(none\)/);
    assert.match(ops.out, /admin\s+admin\/keys\.create, admin\/keys\.list/);
  });

  test('policy: a broken policy file is reported with its position (exit 2); usage errors throw', async () => {
    const broken = join(dir, 'broken.cedar');
    writeFileSync(broken, '@id("x")\npermit (principal, action, resource) when { context.nope };\n');
    const r = await run(
      'explain',
      '--principal',
      'User::"a"',
      '--action',
      'chat',
      '--resource',
      'Model::"m"',
      '--policies',
      broken,
    );
    assert.equal(r.code, 2);
    assert.match(r.err, /policy "x" at .*broken\.cedar:2:\d+/);
    await assert.rejects(run('frobnicate'), UsageError);
    await assert.rejects(run('explain', '--action', 'chat'), UsageError);
  });
});
