// Cosignatures in an audit bundle. `airlock audit export` copies the stored cosigned checkpoints into
// `<bundle>/cosigned/<size>.note` (copyCosignedNotes); `airlock audit verify --witness VKEY... --k N`
// calls verifyBundleCosignatures, which needs nothing but the bundle: every cosigned note must carry the
// log's signature, verify against the bundle's entries (its root is recomputed from entries.jsonl), and
// the newest must carry at least k of the given witnesses' cosignatures. Entries after the newest
// cosigned size are reported as unwitnessed (they are covered by the log's signature alone).
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENTRIES_FILE, VKEY_FILE } from '../bundle/format.ts';
import type { Frontier } from '../merkle/compact-range.ts';
import { appendLeaves, EMPTY_FRONTIER, frontierRoot } from '../merkle/compact-range.ts';
import { hashEquals, leafHash } from '../merkle/hash.ts';
import { verifyCosignedCheckpoint, witnessPolicy } from './cosign-policy.ts';
import { cosignedFile, listCosignedNotes, readCosignedNotes } from './cosigned-store.ts';

export const COSIGNED_DIR = 'cosigned';

/** Copy `<sourceDir>/*.note` for sizes <= maxSize into `<bundleDir>/cosigned/`; returns how many. */
export function copyCosignedNotes(sourceDir: string, bundleDir: string, maxSize: number): number {
  const notes = listCosignedNotes(sourceDir).filter((n) => n.size <= maxSize);
  if (notes.length === 0) return 0;
  mkdirSync(join(bundleDir, COSIGNED_DIR), { recursive: true });
  for (const n of notes) copyFileSync(n.file, join(bundleDir, COSIGNED_DIR, cosignedFile(n.size)));
  return notes.length;
}

export interface CosignedNoteReport {
  readonly size: number;
  readonly ok: boolean;
  readonly quorum: boolean;
  readonly cosigners: readonly string[];
  readonly reason?: string;
}

export interface BundleCosignatureReport {
  readonly ok: boolean;
  readonly k: number;
  readonly n: number;
  readonly keySource: 'given' | 'bundle';
  readonly notes: readonly CosignedNoteReport[];
  /** Size of the newest cosigned checkpoint meeting k of n (0 when none). */
  readonly witnessedSize: number;
  readonly entries: number;
  /** Entries after witnessedSize. */
  readonly unwitnessedEntries: number;
  readonly problems: readonly string[];
}

export function verifyBundleCosignatures(
  dir: string,
  witnessVkeys: readonly string[],
  k: number,
  opts: { logVkey?: string } = {},
): BundleCosignatureReport {
  const policy = witnessPolicy(witnessVkeys, k);
  const logVkey = opts.logVkey ?? readFileSync(join(dir, VKEY_FILE), 'utf8').trim();
  const leaves = splitLines(readFileSync(join(dir, ENTRIES_FILE))).map(leafHash);
  const problems: string[] = [];
  const reports: CosignedNoteReport[] = [];
  let frontier: Frontier = EMPTY_FRONTIER;
  for (const stored of readCosignedNotes(join(dir, COSIGNED_DIR))) {
    const v = verifyCosignedCheckpoint(stored.note, logVkey, policy);
    const cosigners = v.cosigners.map((c) => c.name);
    const bad = (reason: string): void => {
      problems.push(`cosigned/${cosignedFile(stored.size)}: ${reason}`);
      reports.push({ size: stored.size, ok: false, quorum: false, cosigners, reason });
    };
    if (v.checkpoint === undefined) {
      bad(v.reason ?? 'unreadable');
      continue;
    }
    if (v.checkpoint.size !== stored.size) {
      bad(`holds a checkpoint for size ${v.checkpoint.size}`);
      continue;
    }
    if (stored.size > leaves.length) {
      bad(`covers ${stored.size} entries but the bundle holds ${leaves.length}`);
      continue;
    }
    frontier = appendLeaves(frontier, leaves.slice(frontier.size, stored.size)).frontier;
    if (!hashEquals(frontierRoot(frontier), v.checkpoint.root)) {
      bad(`root does not match entries 0..${stored.size - 1} of the bundle`);
      continue;
    }
    if (v.failure === 'invalid-cosignature') {
      bad(v.reason!);
      continue;
    }
    reports.push({
      size: stored.size,
      ok: true,
      quorum: v.ok,
      cosigners,
      ...(v.ok ? {} : { reason: v.reason ?? 'below quorum' }),
    });
  }
  const witnessedSize = reports.filter((r) => r.quorum).at(-1)?.size ?? 0;
  if (witnessedSize === 0) problems.push(`no cosigned checkpoint carries ${policy.k} of the given witnesses`);
  return {
    ok: problems.length === 0,
    k: policy.k,
    n: policy.witnesses.length,
    keySource: opts.logVkey === undefined ? 'bundle' : 'given',
    notes: reports,
    witnessedSize,
    entries: leaves.length,
    unwitnessedEntries: leaves.length - witnessedSize,
    problems,
  };
}

function splitLines(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      out.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

export const hasCosignedNotes = (dir: string): boolean => existsSync(join(dir, COSIGNED_DIR));
