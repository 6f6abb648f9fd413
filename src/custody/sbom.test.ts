import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildSbom, integrityHashes, npmPurl, type PackageLock } from './sbom.ts';
import type { ModelVersion } from './types.ts';

const model: ModelVersion = {
  id: 'llama@1',
  name: 'llama',
  version: '1',
  files: [{ path: 'model.gguf', sha256: 'a'.repeat(64), size: 10 }],
  digest: 'b'.repeat(64),
  format: 'gguf',
  size: 10,
  owner: 'ml',
  licence: 'Apache-2.0',
  source: 'https://example.internal/m',
  intendedUse: 'support answers',
  riskTier: 'high',
  gguf: {
    architecture: 'llama',
    quantization: 'Q4_K_M',
    contextLength: 4096,
    ggufVersion: 3,
    tensorCount: 1,
  },
  templateFindings: [],
  signedBy: 'release',
  importedAt: '2026-01-01T00:00:00.000Z',
  state: 'active',
  stateChangedAt: '2026-01-01T00:00:00.000Z',
};

describe('sbom', () => {
  it('purls and SRI hashes', () => {
    assert.equal(npmPurl('@scope/pkg', '1.2.3'), 'pkg:npm/%40scope/pkg@1.2.3');
    assert.equal(npmPurl('zod', '4.0.0'), 'pkg:npm/zod@4.0.0');
    const h = integrityHashes(`sha512-${Buffer.alloc(64, 1).toString('base64')}`);
    assert.deepEqual(h, [{ alg: 'SHA-512', content: '01'.repeat(64) }]);
  });

  it('airlock own lock file + a model: CycloneDX 1.6 shape', () => {
    const lock = JSON.parse(
      readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'),
    ) as PackageLock;
    // biome-ignore lint/suspicious/noExplicitAny: structural checks on loosely typed JSON
    const bom = buildSbom(lock, [model]) as any;
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/);
    const libs = bom.components.filter((c: { type: string }) => c.type === 'library');
    assert.ok(libs.length > 10);
    for (const c of libs) {
      assert.match(c.purl, /^pkg:npm\//);
      assert.equal(c['bom-ref'], c.purl);
    }
    assert.ok(libs.some((c: { name: string }) => c.name === 'better-sqlite3'));
    assert.ok(!libs.some((c: { name: string }) => c.name === '@biomejs/biome'), 'dev dependencies excluded');
    assert.ok(libs.filter((c: { hashes: unknown[] }) => c.hashes.length > 0).length > libs.length / 2);
    const m = bom.components.find((c: { type: string }) => c.type === 'machine-learning-model');
    assert.equal(m.name, 'llama');
    assert.match(m.purl, /^pkg:generic\/llama@1\?checksum=sha256:b{64}$/);
    assert.deepEqual(m.hashes, [{ alg: 'SHA-256', content: 'b'.repeat(64) }]);
    assert.equal(m.modelCard.modelParameters.architectureFamily, 'llama');
    assert.deepEqual(m.modelCard.quantitativeAnalysis, { performanceMetrics: [] });
    assert.deepEqual(m.modelCard.considerations.useCases, ['support answers']);
    const refs = new Set(bom.components.map((c: { 'bom-ref': string }) => c['bom-ref']));
    refs.add(bom.metadata.component['bom-ref']);
    for (const d of bom.dependencies) for (const on of d.dependsOn) assert.ok(refs.has(on), `dangling ${on}`);
    const root = bom.dependencies.find((d: { ref: string }) => d.ref === bom.metadata.component['bom-ref']);
    assert.ok(root.dependsOn.includes('pkg:npm/fastify@' + lock.packages!['node_modules/fastify']!.version));
    assert.ok(root.dependsOn.includes('model:llama@1'));
  });
});
