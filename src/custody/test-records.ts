// Inventory records for tests: one small GGUF-shaped file per version, hashed like an import would.
import { overallDigest } from './digest.ts';
import { sha256Hex } from './test-hash.ts';
import type { ModelVersionRecord } from './types.ts';

/** `name@version`, whose one file holds `content` (default: the id itself, so every version differs). */
export function modelVersionRecord(
  name: string,
  version: string,
  content = `${name}@${version}`,
): ModelVersionRecord {
  const files = [{ path: 'model.gguf', sha256: sha256Hex(content), size: content.length }];
  return {
    id: `${name}@${version}`,
    name,
    version,
    files,
    digest: overallDigest(files.map((f) => f.sha256)),
    format: 'gguf',
    size: content.length,
    owner: 'o',
    licence: 'MIT',
    source: 's',
    intendedUse: 'u',
    riskTier: 'limited',
    templateFindings: [],
    signedBy: 'k',
    importedAt: '2026-01-01T00:00:00.000Z',
  };
}
