// `airlock models` and `airlock sbom` end to end on real data folders: signed import → approve →
// activate → a second version → rollback; export-bundle on one enclave, import on another; every
// change in the audit log; the SBOM carries the model.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { modelsCommand } from '../../src/cli/commands/models.ts';
import { sbomCommand } from '../../src/cli/commands/sbom.ts';
import { storePath } from '../../src/custody/model-store.ts';
import { testEnclave, testKey, writeBundle } from '../../src/custody/test-fixtures.ts';
import { loadOrCreateSignerKey } from '../../src/evidence/note/signer-key.ts';
import { openSqliteAuditLog } from '../../src/evidence/sqlite/audit-log.ts';
import { runCliCommand } from '../helpers/in-process-cli.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read loosely shaped --json output
type Json = any;

const run = runCliCommand;
const models = (...argv: string[]) => run(modelsCommand, ...argv);

const release = testKey();
// One operator drives this walk-through locally; the two-person flow has its own test.
const a = testEnclave({ trusted: [{ name: 'release', key: release }], twoPerson: false });
const b = testEnclave({ trusted: [{ name: 'release', key: release }] });
after(() => {
  rmSync(a.dir, { recursive: true, force: true });
  rmSync(b.dir, { recursive: true, force: true });
});

describe('airlock models', () => {
  it('signed import → approve → activate → v2 → rollback, all audited', async () => {
    const v1 = writeBundle(join(a.dir, 'media', 'v1'), {
      name: 'demo',
      version: '1',
      seed: 1,
      key: release.privateKey,
    });
    const v2 = writeBundle(join(a.dir, 'media', 'v2'), {
      name: 'demo',
      version: '2',
      seed: 2,
      key: release.privateKey,
    });
    const imp = await models('import', v1, '--config', a.config, '--json');
    assert.equal(imp.code, 0, imp.out);
    const rec = imp.json();
    assert.equal(rec.state, 'imported');
    assert.equal(rec.signedBy, 'release');
    assert.equal(rec.format, 'gguf');
    const show = await models('show', 'demo@1', '--config', a.config, '--json');
    const shown = show.json();
    assert.equal(shown.gguf.architecture, 'llama');
    assert.equal(shown.owner, 'ml-platform');
    const stored = storePath(a.dataDir, shown.files[0].sha256);
    assert.equal(statSync(stored).mode & 0o777, 0o444, 'store files are read-only');

    assert.equal(
      (await models('activate', 'demo@1', '--config', a.config)).code,
      1,
      'imported cannot be activated',
    );
    assert.equal((await models('approve', 'demo@1', '--config', a.config, '--reason', 'eval ok')).code, 0);
    const act = await models('activate', 'demo@1', '--alias', 'chat', '--config', a.config, '--json');
    assert.equal(act.code, 0, act.out);
    assert.deepEqual(act.json().aliases, { chat: 'demo@1' });

    assert.equal((await models('import', v2, '--config', a.config)).code, 0);
    await models('approve', 'demo@2', '--config', a.config);
    await models('activate', 'demo@2', '--alias', 'chat', '--config', a.config);
    const rb = await models('rollback', 'chat', '1', '--config', a.config, '--reason', 'latency', '--json');
    assert.equal(rb.code, 0, rb.out);
    assert.deepEqual(rb.json().aliases, { chat: 'demo@1' });
    const list = (await models('list', '--config', a.config, '--json')).json();
    assert.deepEqual(
      list.versions.map((v: Json) => `${v.id}:${v.state}`),
      ['demo@1:active', 'demo@2:approved'],
    );
    const verify = await models('verify', 'demo@1', '--config', a.config, '--json');
    assert.equal(verify.code, 0, verify.out);

    const signer = loadOrCreateSignerKey(
      join(a.dataDir, 'secrets', 'audit-signing.key'),
      'airlock.local/audit',
    );
    const log = openSqliteAuditLog({ path: join(a.dataDir, 'audit.db'), signer });
    const entries = (await log.entries(0, await log.size())).map((e) =>
      JSON.parse(Buffer.from(e.data).toString('utf8')),
    );
    await log.close();
    const changes = entries.map((e: Json) => e.detail?.change).filter(Boolean);
    assert.deepEqual(changes.filter((c: string) => c === 'model.imported').length, 2);
    assert.ok(changes.filter((c: string) => c === 'model.alias').length >= 3);
    const rollback = entries.find(
      (e: Json) => e.detail?.change === 'model.alias' && e.detail.rollback === true,
    );
    assert.equal(rollback.detail.reason, 'latency');
    assert.equal(rollback.detail.actor, 'cli:tester');
  });

  it('export-bundle on enclave A, import on enclave B: same digests, provenance kept', async () => {
    writeFileSync(join(a.dir, 'release.key'), release.pem, { mode: 0o600 });
    const out = join(a.dir, 'usb', 'demo-1');
    const exp = await models(
      'export-bundle',
      'demo@1',
      '--out',
      out,
      '--key',
      join(a.dir, 'release.key'),
      '--config',
      a.config,
      '--json',
    );
    assert.equal(exp.code, 0, exp.err);
    const imp = await models('import', out, '--config', b.config, '--json');
    assert.equal(imp.code, 0, imp.err);
    const there = imp.json();
    const here = (await models('show', 'demo@1', '--config', a.config, '--json')).json();
    assert.equal(there.digest, here.digest);
    assert.equal(there.signedBy, 'release');
    assert.equal(there.state, 'imported', 'approval does not travel: the receiving enclave approves itself');
    assert.equal(there.owner, here.owner);
  });

  it('unsigned import without a manifest only when allowed', async () => {
    const e = testEnclave({ allowUnsigned: true });
    try {
      const f = join(e.dir, 'loose.gguf');
      writeFileSync(f, readFileSync(join(a.dir, 'media', 'v1', 'model.gguf')));
      const missing = await models('import', f, '--config', e.config);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /name and version/);
      const ok = await models(
        'import',
        f,
        '--name',
        'loose',
        '--version',
        '0.1',
        '--owner',
        'me',
        '--risk-tier',
        'minimal',
        '--config',
        e.config,
        '--json',
      );
      assert.equal(ok.code, 0, ok.err);
      assert.equal(ok.json().signedBy, 'unsigned');
      assert.equal(ok.json().riskTier, 'minimal');
    } finally {
      rmSync(e.dir, { recursive: true, force: true });
    }
  });

  it('airlock sbom lists the dependencies and the models', async () => {
    const r = await run(sbomCommand, '--config', a.config);
    assert.equal(r.code, 0, r.err);
    const bom = r.json();
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    const ml = bom.components.filter((c: Json) => c.type === 'machine-learning-model');
    assert.deepEqual(ml.map((c: Json) => c.version).sort(), ['1', '2']);
    for (const c of bom.components) {
      assert.ok(c.purl, `${c.name} has a purl`);
      if (c.type === 'machine-learning-model') assert.equal(c.hashes[0].alg, 'SHA-256');
    }
    assert.ok(ml[0].modelCard.considerations.useCases[0].length > 0);
  });
});
