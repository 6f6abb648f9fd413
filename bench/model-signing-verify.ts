// Cost of verifying a model signature at import and of one vLLM / llama.cpp health verification.
// Import: OpenSSF model-signing bundles over a 3-file statement, verified the way `airlock models
// import` does (pinned EC key, certificate chain to a pinned CA, Sigstore keyless with Rekor SET,
// inclusion proof and checkpoint); file hashing is excluded (disk-bound). Health: one round of
// checkOpenAiBackend against a loopback emulator (GET /v1/models, and /props for llama.cpp).
//   . scripts/node24.sh && node bench/model-signing-verify.ts [--quick]

import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseModelSigningTrust, verifyModelSigningBundle } from '../src/custody/model-signing.ts';
import {
  ecKey,
  modelFolder,
  modelSigningPki,
  modelStatement,
  privateSigstore,
  signStatement,
} from '../src/custody/model-signing-fixtures.ts';
import { checkOpenAiBackend } from '../src/custody/openai-backends.ts';

const quick = process.argv.includes('--quick');
const n = quick ? 200 : 2000;
const pki = modelSigningPki();
const root = pki.ca('root');
const leaf = pki.signer('signer', root);
const sigstore = privateSigstore(pki, pki.dir);
const fulcioLeaf = sigstore.certificate('release@corp.internal', 'https://idp');
const key = ecKey();
const dir = modelFolder();
const st = modelStatement(dir, 'bench');
const trust = parseModelSigningTrust({
  publicKeys: [{ name: 'k', publicKey: key.publicPem }],
  certificateAuthorities: [{ name: 'root', certificate: root.cert }],
  sigstore: {
    trustedRootPath: sigstore.trustedRootPath,
    identities: [{ subject: 'release@corp.internal', issuer: 'https://idp' }],
    ctLogThreshold: 0,
  },
});
const bundles = {
  key: signStatement(st, key.privateKey),
  certificate: signStatement(st, leaf.key, [leaf.cert, root.cert]),
  keyless: sigstore.sign(st, fulcioLeaf),
};
const results: Record<string, number> = {};
for (const [name, bytes] of Object.entries(bundles)) {
  for (let i = 0; i < 20; i++) verifyModelSigningBundle(bytes, trust, { source: name, at: new Date() });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) verifyModelSigningBundle(bytes, trust, { source: name, at: new Date() });
  results[`verify ${name} bundle (µs)`] = Number(process.hrtime.bigint() - t0) / 1000 / n;
}

const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/v1/models')
    res.end(
      JSON.stringify({
        data: [{ id: 'm', root: `/srv/${'a'.repeat(64)}`, max_model_len: 8192, meta: { n_ctx_train: 4096 } }],
      }),
    );
  else
    res.end(
      JSON.stringify({
        model_path: `/m/${'a'.repeat(64)}`,
        chat_template: 'x',
        default_generation_settings: { n_ctx: 4096 },
      }),
    );
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const expected = [{ model: 'm', digest: 'a'.repeat(64), version: undefined }];
for (const kind of ['vllm', 'llamacpp'] as const) {
  const rounds = quick ? 100 : 500;
  for (let i = 0; i < 20; i++) await checkOpenAiBackend(kind, base, expected);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await checkOpenAiBackend(kind, base, expected);
  results[`health round ${kind} (µs)`] = Number(process.hrtime.bigint() - t0) / 1000 / rounds;
}
server.close();
rmSync(dir, { recursive: true, force: true });
rmSync(pki.dir, { recursive: true, force: true });
console.log(JSON.stringify(results, null, 2));
for (const [k, v] of Object.entries(results)) console.log(`| ${k} | ${v.toFixed(0)} |`);
