// Known-answer tests over every inclusion and consistency case published in
// ../shared/vectors/rfc6962-merkle/testdata (transparency-dev/merkle vectors, Apache-2.0), negative
// cases included: each case's wantErr must match our verifier exactly.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { verifyConsistency, verifyInclusion } from './verify.ts';

const ROOT = join(import.meta.dirname, '../../../../shared/vectors/rfc6962-merkle/testdata');

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? jsonFiles(p) : name.endsWith('.json') ? [p] : [];
  });
}

const b64 = (s: string): Uint8Array => Buffer.from(s, 'base64');
const proofOf = (p: string[] | null): Uint8Array[] => (p ?? []).map(b64);

interface InclusionCase {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  wantErr: boolean;
}
interface ConsistencyCase {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  wantErr: boolean;
}

const inclusion = jsonFiles(join(ROOT, 'inclusion'));
const consistency = jsonFiles(join(ROOT, 'consistency'));

test('vectors: the corpus is present and complete', () => {
  assert.equal(inclusion.length, 98, 'every inclusion case is loaded');
  assert.equal(consistency.length, 98, 'every consistency case is loaded');
});

for (const file of inclusion) {
  const c = JSON.parse(readFileSync(file, 'utf8')) as InclusionCase;
  test(`inclusion vector ${relative(ROOT, file)} → ${c.wantErr ? 'reject' : 'accept'}`, () => {
    const r = verifyInclusion(c.leafIdx, c.treeSize, b64(c.leafHash), proofOf(c.proof), b64(c.root));
    assert.equal(r.ok, !c.wantErr, r.ok ? 'accepted' : r.reason);
  });
}

for (const file of consistency) {
  const c = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyCase;
  test(`consistency vector ${relative(ROOT, file)} → ${c.wantErr ? 'reject' : 'accept'}`, () => {
    const r = verifyConsistency(c.size1, c.size2, proofOf(c.proof), b64(c.root1), b64(c.root2));
    assert.equal(r.ok, !c.wantErr, r.ok ? 'accepted' : r.reason);
  });
}
