// Property tests: the node-store-backed generators (plan.ts + compact-range.ts) agree with the RFC 6962
// reference over random tree sizes, every proof verifies, and any single flipped bit is rejected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { appendLeaves, EMPTY_FRONTIER, frontierRoot } from './compact-range.ts';
import { leafHash } from './hash.ts';
import { assemble, consistencyPlan, inclusionPlan, nodeKey, rootPlan } from './plan.ts';
import { referenceConsistencyProof, referenceInclusionProof, referenceRoot } from './reference.ts';
import { verifyConsistency, verifyInclusion } from './verify.ts';

function buildTree(n: number) {
  const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const { frontier, nodes } = appendLeaves(EMPTY_FRONTIER, leaves);
  const store = new Map(nodes.map((x) => [nodeKey(x), x.hash]));
  const lookup = (id: { level: number; index: number }) => store.get(nodeKey(id));
  return { leaves, frontier, lookup };
}

const flipBit = (b: Uint8Array, bit: number): Uint8Array => {
  const out = Buffer.from(b);
  out[Math.floor(bit / 8) % out.length]! ^= 1 << (bit % 8);
  return out;
};

test('merkle: the empty tree has root SHA-256("") (RFC 9162 §2.1.1)', () => {
  assert.equal(
    Buffer.from(frontierRoot(EMPTY_FRONTIER)).toString('hex'),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
});

test('merkle: stored-node root equals the reference MTH for every size up to 130', () => {
  for (let n = 1; n <= 130; n++) {
    const t = buildTree(n);
    const want = referenceRoot(t.leaves);
    assert.deepEqual(frontierRoot(t.frontier), want);
    assert.deepEqual(assemble([rootPlan(n)], t.lookup)[0], want);
  }
});

test('merkle: incremental appends in random batches give the same nodes as one append', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 20 }), (batches) => {
      const total = batches.reduce((a, b) => a + b, 0);
      const leaves = Array.from({ length: total }, (_, i) => leafHash(Buffer.from([i % 256, i >> 8])));
      let f = EMPTY_FRONTIER;
      let at = 0;
      for (const b of batches) {
        f = appendLeaves(f, leaves.slice(at, at + b)).frontier;
        at += b;
      }
      assert.deepEqual(frontierRoot(f), referenceRoot(leaves));
    }),
  );
});

test('merkle: every inclusion proof matches the reference, verifies, and fails on any flipped bit', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1), fc.nat(1 << 20))),
      ([n, m, bitSeed]) => {
        const t = buildTree(n);
        const root = referenceRoot(t.leaves);
        const proof = assemble(inclusionPlan(m, n), t.lookup);
        assert.deepEqual(proof, referenceInclusionProof(m, t.leaves));
        assert.ok(verifyInclusion(m, n, t.leaves[m]!, proof, root).ok);
        assert.equal(verifyInclusion(m, n, t.leaves[m]!, proof, flipBit(root, bitSeed)).ok, false);
        assert.equal(verifyInclusion(m, n, flipBit(t.leaves[m]!, bitSeed), proof, root).ok, false);
        if (proof.length > 0) {
          const i = bitSeed % proof.length;
          const bad = proof.map((p, j) => (j === i ? flipBit(p, bitSeed >> 3) : p));
          assert.equal(verifyInclusion(m, n, t.leaves[m]!, bad, root).ok, false);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('merkle: every consistency proof matches the reference, verifies, and fails on any flipped bit', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 300 })
        .chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n), fc.nat(1 << 20))),
      ([m, n, bitSeed]) => {
        const t = buildTree(n);
        const root1 = referenceRoot(t.leaves.slice(0, m));
        const root2 = referenceRoot(t.leaves);
        const proof = assemble(consistencyPlan(m, n), t.lookup);
        assert.deepEqual(proof, referenceConsistencyProof(m, t.leaves));
        assert.ok(verifyConsistency(m, n, proof, root1, root2).ok);
        assert.equal(verifyConsistency(m, n, proof, flipBit(root1, bitSeed), root2).ok, false);
        assert.equal(verifyConsistency(m, n, proof, root1, flipBit(root2, bitSeed)).ok, false);
        if (proof.length > 0) {
          const i = bitSeed % proof.length;
          const bad = proof.map((p, j) => (j === i ? flipBit(p, bitSeed >> 3) : p));
          assert.equal(verifyConsistency(m, n, bad, root1, root2).ok, false);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('merkle: proofs need O(log n) node reads', () => {
  const n = 1_000_003;
  for (const m of [0, 1, 524_287, 999_999, n - 1]) {
    const reads = inclusionPlan(m, n).reduce((a, c) => a + c.length, 0);
    assert.ok(reads <= 2 * 21, `inclusion(${m}) reads ${reads} nodes`);
    if (m > 0) {
      const creads = consistencyPlan(m, n).reduce((a, c) => a + c.length, 0);
      assert.ok(creads <= 3 * 21, `consistency(${m}) reads ${creads} nodes`);
    }
  }
});
