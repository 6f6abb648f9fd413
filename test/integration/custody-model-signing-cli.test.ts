// `airlock models import` with an OpenSSF model-signing bundle, end to end through the command and a
// real config file: the pinned key comes from custody.modelSigning in YAML (a PEM block), model.sig
// is found inside the folder, and a refusal is a stable code on stderr with exit 1.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { modelsCommand } from '../../src/cli/commands/models.ts';
import { ecKey, modelFolder, signModelFolder } from '../../src/custody/model-signing-fixtures.ts';
import { testEnclave } from '../../src/custody/test-fixtures.ts';
import { runCliCommand } from '../helpers/in-process-cli.ts';

const models = (...argv: string[]) => runCliCommand(modelsCommand, ...argv);

const signer = ecKey('P-384');
const pem = signer.publicPem
  .trim()
  .split('\n')
  .map((l) => `          ${l}`)
  .join('\n');
const enclave = testEnclave({
  twoPerson: false,
  extraYaml: `  modelSigning:\n    publicKeys:\n      - name: hf-mirror\n        publicKey: |\n${pem}\n`,
});
const dirs: string[] = [];
after(() => {
  rmSync(enclave.dir, { recursive: true, force: true });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('airlock models import with model.sig', () => {
  it('imports a folder signed with a pinned P-384 key; the record names the signer', async () => {
    const dir = modelFolder();
    dirs.push(dir);
    signModelFolder(dir, { name: 'mistral-small', key: signer.privateKey });
    const r = await models('import', dir, '--version', '2025.1', '--config', enclave.config, '--json');
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out);
    assert.equal(doc.id, 'mistral-small@2025.1');
    assert.equal(doc.signedBy, 'key:hf-mirror');
    const show = await models('show', 'mistral-small@2025.1', '--config', enclave.config);
    assert.match(show.out, /signed by {2}key:hf-mirror/);
  });

  it('a file changed after signing: exit 1, model_files_mismatch, nothing recorded', async () => {
    const dir = modelFolder();
    dirs.push(dir);
    signModelFolder(dir, { name: 'mistral-small', key: signer.privateKey });
    const f = join(dir, 'config.json');
    writeFileSync(f, readFileSync(f, 'utf8').replace('Llama', 'Evil'));
    const r = await models('import', dir, '--version', '2025.2', '--config', enclave.config);
    assert.equal(r.code, 1);
    assert.match(r.err, /^model_files_mismatch: .*config\.json/m);
    const list = await models('list', '--config', enclave.config, '--json');
    assert.deepEqual(
      JSON.parse(list.out).versions.map((v: { id: string }) => v.id),
      ['mistral-small@2025.1'],
    );
  });
});
