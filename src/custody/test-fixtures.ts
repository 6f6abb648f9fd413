// Fixtures for custody tests: a data folder with a config, Ed25519 signing keys, GGUF artefacts
// (the seeded demo model, or a minimal GGUF with a chosen chat template) and signed bundles.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDemoModel } from '../inference/worker/demo-model.ts';
import { encodeGguf } from '../inference/worker/gguf-writer.ts';
import { MANIFEST_FORMAT, MANIFEST_NAME, SIGNATURE_SUFFIX, signManifest } from './manifest.ts';
import { sha256Hex } from './test-hash.ts';

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly pem: string;
  /** base64 of the raw 32-byte public key (the config form). */
  readonly publicKey: string;
}

export function testKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64'),
  };
}

/** A temporary enclave: config file + data folder. */
export function testEnclave(
  opts: {
    trusted?: readonly { name: string; key: TestKey }[];
    allowUnsigned?: boolean;
    /** custody.twoPerson, written only when given (the default is on). */
    twoPerson?: boolean;
    extraYaml?: string;
  } = {},
): { dir: string; config: string; dataDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-custody-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  const keys = (opts.trusted ?? [])
    .map((t) => `    - name: ${t.name}\n      publicKey: ${t.key.publicKey}\n`)
    .join('');
  const yaml = `version: 1
dataDir: ./data
listeners:
  client: { port: 0 }
custody:
  allowUnsigned: ${opts.allowUnsigned === true}
${opts.twoPerson !== undefined ? `  twoPerson: ${opts.twoPerson}\n` : ''}  trustedKeys:${keys ? `\n${keys}` : ' []\n'}${opts.extraYaml ?? ''}`;
  const config = join(dir, 'airlock.yaml');
  writeFileSync(config, yaml);
  return { dir, config, dataDir };
}

/** A small valid GGUF whose chat template is `template`. */
export function ggufWithTemplate(template: string): Buffer {
  return encodeGguf(
    [
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['general.file_type', { type: 'uint32', value: 15 }],
      ['llama.context_length', { type: 'uint32', value: 4096 }],
      ['tokenizer.ggml.tokens', { type: 'array', of: 'string', value: ['<s>', '</s>'] }],
      ['tokenizer.chat_template', { type: 'string', value: template }],
    ],
    [{ name: 't', dims: [4], data: new Float32Array([1, 2, 3, 4]) }],
  );
}

/** Writes a bundle folder: the model file(s), airlock-model.json and, with a key, its signature. */
export function writeBundle(
  dir: string,
  opts: {
    name: string;
    version: string;
    files?: Record<string, Buffer>;
    seed?: number;
    key?: KeyObject;
    metadata?: Record<string, unknown>;
  },
): string {
  mkdirSync(dir, { recursive: true });
  const files = opts.files ?? { 'model.gguf': buildDemoModel(opts.seed ?? 1) };
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, ...path.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(dir, ...path.split('/')), bytes);
  }
  const manifest = {
    format: MANIFEST_FORMAT,
    name: opts.name,
    version: opts.version,
    files: Object.entries(files).map(([path, bytes]) => ({
      path,
      sha256: sha256Hex(bytes),
      size: bytes.length,
    })),
    metadata: {
      owner: 'ml-platform',
      licence: 'Apache-2.0',
      source: 'https://models.example.internal/demo',
      intendedUse: 'internal assistant',
      riskTier: 'limited',
      ...opts.metadata,
    },
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, MANIFEST_NAME), bytes);
  if (opts.key) writeFileSync(join(dir, MANIFEST_NAME + SIGNATURE_SUFFIX), signManifest(bytes, opts.key));
  return dir;
}
