// exportAuditBundle: copy the log's entries, tree nodes and checkpoints into a folder (format.ts).
// Entries are written as stored, never re-encoded, so tampering in the store is still visible.
import { mkdirSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditLogReader } from '../types.ts';
import type { BundleManifest } from './format.ts';
import {
  BUNDLE_FORMAT,
  CHECKPOINT_DIR,
  checkpointFile,
  ENTRIES_FILE,
  MANIFEST_FILE,
  NODES_FILE,
  VKEY_FILE,
} from './format.ts';

const CHUNK = 10_000;

export async function exportAuditBundle(
  log: AuditLogReader,
  dir: string,
  meta: { origin: string; vkey: string },
): Promise<BundleManifest> {
  mkdirSync(join(dir, CHECKPOINT_DIR), { recursive: true });
  const size = await log.size();
  const entries = await open(join(dir, ENTRIES_FILE), 'w');
  try {
    for (let from = 0; from < size; from += CHUNK) {
      const rows = await log.entries(from, Math.min(size, from + CHUNK));
      if (rows.length > 0)
        await entries.write(Buffer.concat(rows.flatMap((r) => [r.data, Buffer.from('\n')])));
    }
  } finally {
    await entries.close();
  }
  const nodes = await open(join(dir, NODES_FILE), 'w');
  try {
    for (let from = 0; from < size; from += CHUNK) {
      const rows = await log.nodes(from, Math.min(size, from + CHUNK));
      const text = rows
        .map((n) => `${n.level} ${n.index} ${Buffer.from(n.hash).toString('base64')}\n`)
        .join('');
      await nodes.write(text);
    }
  } finally {
    await nodes.close();
  }
  const checkpoints = (await log.checkpoints()).filter((c) => c.size <= size);
  for (const c of checkpoints) writeFileSync(join(dir, CHECKPOINT_DIR, checkpointFile(c.size)), c.note);
  writeFileSync(join(dir, VKEY_FILE), `${meta.vkey}\n`);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    origin: meta.origin,
    vkey: meta.vkey,
    size,
    checkpoints: checkpoints.length,
  };
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
