// Offline verification of an audit bundle (format.ts): needs only the folder and, ideally, the log's
// public key obtained out of band. Recomputes every leaf and the whole tree, checks every checkpoint's
// signature and root and the consistency of each signed root with the previous one, and on tampering
// names the FIRST divergent entry index. Stored tree nodes localise a change to one entry; without
// them a signed root alone can only say "at or after the last good checkpoint".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEntry } from '../entry.ts';
import type { StoredNode } from '../merkle/compact-range.ts';
import { appendLeaves, EMPTY_FRONTIER } from '../merkle/compact-range.ts';
import { EMPTY_ROOT, hashEquals, leafHash } from '../merkle/hash.ts';
import { assemble, consistencyPlan, foldHashes, nodeKey, rootPlan } from '../merkle/plan.ts';
import { verifyConsistency } from '../merkle/verify.ts';
import { openCheckpoint } from '../note/checkpoint.ts';
import type { NoteVerifier } from '../note/signed-note.ts';
import { parseVkey } from '../note/signed-note.ts';
import type { BundleManifest } from './format.ts';
import {
  BUNDLE_FORMAT,
  CHECKPOINT_DIR,
  ENTRIES_FILE,
  MANIFEST_FILE,
  NODES_FILE,
  VKEY_FILE,
} from './format.ts';

export interface BundleProblem {
  readonly kind: 'bundle' | 'entry' | 'node' | 'checkpoint';
  /** First entry index this problem implicates. */
  readonly index?: number;
  readonly checkpointSize?: number;
  readonly node?: { readonly level: number; readonly index: number };
  readonly message: string;
}

export interface BundleReport {
  readonly ok: boolean;
  readonly origin: string;
  /** 'given': the key came from the auditor; 'bundle': from the bundle itself (weaker: say so). */
  readonly keySource: 'given' | 'bundle';
  readonly entries: number;
  readonly root: string;
  readonly checkpoints: number;
  readonly verifiedCheckpoints: number;
  readonly latestVerifiedSize: number;
  /** Entries after the latest verified checkpoint: intact as far as nodes show, but not yet signed. */
  readonly unsignedEntries: number;
  readonly firstDivergentIndex: number | null;
  /** Sorted by index; at most MAX_PROBLEMS. */
  readonly problems: readonly BundleProblem[];
}

const MAX_PROBLEMS = 100;

export function verifyAuditBundle(dir: string, opts: { publicKey?: string } = {}): BundleReport {
  const problems: BundleProblem[] = [];
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as BundleManifest;
  if (manifest.format !== BUNDLE_FORMAT)
    problems.push({ kind: 'bundle', message: `unknown format ${manifest.format}` });
  const vkey = opts.publicKey ?? readFileSync(join(dir, VKEY_FILE), 'utf8').trim();
  const verifier: NoteVerifier = parseVkey(vkey);

  // 1. Entries: each line is entry i, canonical, carrying index i.
  const lines = splitLines(readFileSync(join(dir, ENTRIES_FILE)));
  const leaves = lines.map((line, i) => {
    try {
      const { entry, canonical } = decodeEntry(line);
      if (entry.index !== i) {
        problems.push({
          kind: 'entry',
          index: i,
          message: `entry at position ${i} carries index ${entry.index}: rows are missing, duplicated or reordered`,
        });
      } else if (!canonical) {
        problems.push({ kind: 'entry', index: i, message: `entry ${i} is not RFC 8785 canonical JSON` });
      }
    } catch {
      problems.push({ kind: 'entry', index: i, message: `entry ${i} is not valid JSON` });
    }
    return leafHash(line);
  });
  const n = leaves.length;
  if (manifest.size !== n) {
    problems.push({
      kind: 'bundle',
      index: Math.min(n, manifest.size),
      message: `bundle.json lists ${manifest.size} entries but entries.jsonl holds ${n}`,
    });
  }

  // 2. The tree recomputed from the entries, compared with the stored nodes.
  const built = appendLeaves(EMPTY_FRONTIER, leaves);
  const computed = new Map(built.nodes.map((x) => [nodeKey(x), x.hash]));
  const nodesPath = join(dir, NODES_FILE);
  if (existsSync(nodesPath)) problems.push(...compareNodes(readStoredNodes(nodesPath), computed, n));

  // 3. Checkpoints: signature, coverage, root, and consistency with the previous good one.
  const rootAt = (size: number): Uint8Array =>
    size === 0 ? EMPTY_ROOT : foldHashes(rootPlan(size).map((id) => computed.get(nodeKey(id))!));
  const files = existsSync(join(dir, CHECKPOINT_DIR)) ? readdirSync(join(dir, CHECKPOINT_DIR)).sort() : [];
  let good: { size: number; root: Uint8Array } | undefined;
  let verified = 0;
  for (const file of files) {
    const named = Number.parseInt(file, 10);
    const opened = openCheckpoint(readFileSync(join(dir, CHECKPOINT_DIR, file), 'utf8'), verifier);
    if (!opened.ok) {
      problems.push({
        kind: 'checkpoint',
        checkpointSize: named,
        message: `checkpoint ${file}: ${opened.reason}`,
      });
      continue;
    }
    const cp = opened.checkpoint;
    if (cp.size !== named) {
      problems.push({
        kind: 'checkpoint',
        checkpointSize: named,
        message: `${file} holds a checkpoint for size ${cp.size}`,
      });
    }
    if (cp.size > n) {
      problems.push({
        kind: 'checkpoint',
        index: n,
        checkpointSize: cp.size,
        message: `signed checkpoint covers ${cp.size} entries but the bundle holds ${n}: entries ${n}.. are missing`,
      });
      continue;
    }
    if (!hashEquals(rootAt(cp.size), cp.root)) {
      const from = good?.size ?? 0;
      // A precise cause found from entries or nodes in (from, size) explains this root; otherwise the
      // signed roots alone bound the divergence to "at or after the last good checkpoint".
      const explained = problems.some(
        (p) => p.kind !== 'checkpoint' && p.index !== undefined && p.index < cp.size,
      );
      problems.push({
        kind: 'checkpoint',
        ...(explained ? {} : { index: from }),
        checkpointSize: cp.size,
        message: `signed root for size ${cp.size} does not match the entries: they diverge at or after index ${from}`,
      });
      continue;
    }
    if (good !== undefined && good.size > 0 && good.size < cp.size) {
      const proof = assemble(consistencyPlan(good.size, cp.size), (id) => computed.get(nodeKey(id)));
      const c = verifyConsistency(good.size, cp.size, proof, good.root, cp.root);
      if (!c.ok) {
        problems.push({
          kind: 'checkpoint',
          checkpointSize: cp.size,
          message: `not consistent with ${good.size}: ${c.reason}`,
        });
      }
    }
    verified++;
    good = cp;
  }
  if (n > 0 && verified === 0) {
    problems.push({ kind: 'bundle', message: 'no checkpoint signed by the trusted key covers the entries' });
  }

  problems.sort((a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER));
  const indexed = problems.find((p) => p.index !== undefined);
  return {
    ok: problems.length === 0,
    origin: verifier.name,
    keySource: opts.publicKey === undefined ? 'bundle' : 'given',
    entries: n,
    root: Buffer.from(rootAt(n)).toString('base64'),
    checkpoints: files.length,
    verifiedCheckpoints: verified,
    latestVerifiedSize: good?.size ?? 0,
    unsignedEntries: n - (good?.size ?? 0),
    firstDivergentIndex: indexed?.index ?? null,
    problems: problems.slice(0, MAX_PROBLEMS),
  };
}

function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, start)) {
    out.push(buf.subarray(start, i));
    start = i + 1;
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

function readStoredNodes(path: string): StoredNode[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [level, index, hash] = l.split(' ') as [string, string, string];
      return { level: Number(level), index: Number(index), hash: Buffer.from(hash, 'base64') };
    });
}

/**
 * A stored node that differs from (or is absent next to) the recomputed one is a root cause when it
 * is a leaf or both its children agree: a changed entry shows up at its own leaf, a changed interior
 * node at itself, never at the ancestors that merely inherit the difference.
 */
function compareNodes(
  stored: readonly StoredNode[],
  computed: Map<string, Uint8Array>,
  n: number,
): BundleProblem[] {
  const storedMap = new Map(stored.map((x) => [nodeKey(x), x.hash]));
  const bad = new Map<string, { level: number; index: number; why: string }>();
  for (const s of stored) {
    const c = computed.get(nodeKey(s));
    const first = s.index * 2 ** s.level;
    if (c === undefined) {
      if (first < n) bad.set(nodeKey(s), { ...s, why: 'is not a complete subtree of the bundled entries' });
    } else if (!hashEquals(c, s.hash)) {
      bad.set(nodeKey(s), { ...s, why: 'does not match the entries it covers' });
    }
  }
  for (const key of computed.keys()) {
    if (!storedMap.has(key)) {
      const [level, index] = key.split('/').map(Number) as [number, number];
      bad.set(key, { level, index, why: 'is missing from the store' });
    }
  }
  const out: BundleProblem[] = [];
  for (const b of bad.values()) {
    const childBad =
      b.level > 0 &&
      (bad.has(`${b.level - 1}/${b.index * 2}`) || bad.has(`${b.level - 1}/${b.index * 2 + 1}`));
    if (childBad) continue;
    const first = b.index * 2 ** b.level;
    const message =
      b.level === 0
        ? `entry ${first} does not match its stored leaf hash`
        : `stored tree node (level ${b.level}, index ${b.index}) covering entries ${first}..${first + 2 ** b.level - 1} ${b.why}`;
    out.push({
      kind: b.level === 0 ? 'entry' : 'node',
      index: first,
      node: { level: b.level, index: b.index },
      message,
    });
  }
  return out;
}
