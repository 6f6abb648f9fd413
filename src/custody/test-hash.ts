// One-shot SHA-256 for fixtures and tests (artefacts themselves are always hashed as streams).
import { createHash } from 'node:crypto';

export const sha256Hex = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('hex');
