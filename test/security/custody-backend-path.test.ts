// Attack: a vLLM or llama.cpp server keeps the bound model id but loads something else whose path
// still contains the approved digest as a substring (`/srv/models/<digest>/../evil`,
// `/srv/models/evil-<digest>`), or lists the id twice (the first entry approved, the second not).
// Each health round must refuse it; the deployments docs/custody.md describes must still pass.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { checkOpenAiBackend } from '../../src/custody/openai-backends.ts';

const DIGEST = 'ab'.repeat(32);
const state: { models: Record<string, unknown>[]; modelPath: string } = { models: [], modelPath: '' };
const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/v1/models') res.end(JSON.stringify({ object: 'list', data: state.models }));
  else if (req.url === '/props') res.end(JSON.stringify({ model_path: state.modelPath }));
  else res.writeHead(404).end('{}');
});
let url: string;

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const expected = [{ model: 'm', digest: DIGEST, version: undefined }];

async function vllm(...roots: string[]) {
  state.models = roots.map((root) => ({ id: 'm', object: 'model', root }));
  return (await checkOpenAiBackend('vllm', url, expected)).findings[0]!;
}

async function llamacpp(modelPath: string) {
  state.models = [{ id: 'm', object: 'model', meta: {} }];
  state.modelPath = modelPath;
  return (await checkOpenAiBackend('llamacpp', url, expected)).findings[0]!;
}

test('vLLM root: a path that merely contains the digest is not the approved folder', async () => {
  for (const root of [
    `/srv/models/${DIGEST}/../evil`,
    `/srv/models/${DIGEST}/./../../tmp/evil`,
    `/srv/models/evil-${DIGEST}`,
    `/srv/models/${DIGEST}-finetuned`,
    `/srv/models/x${DIGEST}`,
    `C:\\models\\${DIGEST}\\..\\evil`,
  ]) {
    const f = await vllm(root);
    assert.equal(f.ok, false, root);
    assert.match(String(f.reason), /does not name the approved digest/);
  }
});

test('llama.cpp model_path: the same tricks are refused', async () => {
  for (const p of [`/var/lib/airlock/models/sha256/${DIGEST}/../evil.gguf`, `/models/evil-${DIGEST}.gguf`]) {
    const f = await llamacpp(p);
    assert.equal(f.ok, false, p);
  }
});

test('vLLM: the bound id listed twice (one approved root, one not) is refused', async () => {
  const f = await vllm(`/srv/models/${DIGEST}`, '/srv/models/evil');
  assert.equal(f.ok, false);
  assert.match(String(f.reason), /listed 2 times/);
});

test('documented layouts still match', async () => {
  for (const root of [`/srv/models/${DIGEST}`, `/srv/models/${DIGEST}/`, `/srv/models/sha256-${DIGEST}`])
    assert.equal((await vllm(root)).ok, true, root);
  for (const p of [`/var/lib/airlock/models/sha256/${DIGEST}`, `/models/${DIGEST}.gguf`])
    assert.equal((await llamacpp(p)).ok, true, p);
});
