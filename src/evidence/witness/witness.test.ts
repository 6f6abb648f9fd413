import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { leafHash } from '../merkle/hash.ts';
import { referenceConsistencyProof, referenceRoot } from '../merkle/reference.ts';
import { signCheckpoint } from '../note/checkpoint.ts';
import { signerFromSeed } from '../note/signer-key.ts';
import { parseCosignerVkey, parseSignatureLine, verifyCosignature } from './cosignature.ts';
import { formatAddCheckpoint, parseAddCheckpoint } from './protocol.ts';
import { openWitnessState } from './state.ts';
import { createWitness } from './witness.ts';
import { cosignerFromSeed } from './witness-key.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-witness-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ORIGIN = 'airlock.test/unit';
const logSigner = signerFromSeed(ORIGIN, Buffer.alloc(32, 1));
const leaves = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${tag}${i}`)));
const checkpointOf = (ls: Uint8Array[], size: number, signer = logSigner) =>
  signCheckpoint(signer, size, referenceRoot(ls.slice(0, size)));
const body = (old: number, ls: Uint8Array[], size: number, signer = logSigner) =>
  formatAddCheckpoint({
    oldSize: old,
    proof: old === 0 || old === size ? [] : referenceConsistencyProof(old, ls.slice(0, size)),
    note: checkpointOf(ls, size, signer).note,
  });

let n = 0;
function fresh() {
  const state = openWitnessState(join(dir, `w${n++}.db`));
  const cosigner = cosignerFromSeed('witness.test/w1', Buffer.alloc(32, 9));
  const witness = createWitness({
    cosigner,
    logVkeys: [logSigner.vkey],
    state,
    now: () => 1_700_000_000_000,
  });
  return { state, witness, cosigner };
}

test('add-checkpoint: first checkpoint (old 0) → 200 with a verifying cosignature, head stored', () => {
  const { state, witness, cosigner } = fresh();
  const ls = leaves('a', 10);
  const r = witness.addCheckpoint(body(0, ls, 7));
  assert.equal(r.status, 200, r.body);
  const sig = parseSignatureLine(r.body.trimEnd())!;
  const text = checkpointOf(ls, 7).note.split('\n\n')[0]! + '\n';
  assert.deepEqual(verifyCosignature(parseCosignerVkey(cosigner.vkey), text, sig), {
    ok: true,
    time: 1_700_000_000,
  });
  assert.equal(state.head(ORIGIN)?.size, 7);
  state.close();
});

test('add-checkpoint: growth with a valid consistency proof → 200; same checkpoint again → 200', () => {
  const { state, witness } = fresh();
  const ls = leaves('a', 40);
  assert.equal(witness.addCheckpoint(body(0, ls, 3)).status, 200);
  assert.equal(witness.addCheckpoint(body(3, ls, 17)).status, 200);
  assert.equal(witness.addCheckpoint(body(17, ls, 32)).status, 200);
  assert.equal(witness.addCheckpoint(body(32, ls, 32)).status, 200);
  assert.equal(state.head(ORIGIN)?.size, 32);
  state.close();
});

test('add-checkpoint: old does not match → 409 text/x.tlog.size with the cosigned size', () => {
  const { state, witness } = fresh();
  const ls = leaves('a', 20);
  witness.addCheckpoint(body(0, ls, 5));
  const r = witness.addCheckpoint(body(0, ls, 9));
  assert.deepEqual(r, { status: 409, contentType: 'text/x.tlog.size', body: '5\n' });
  assert.equal(witness.addCheckpoint(body(4, ls, 9)).status, 409);
  state.close();
});

test('add-checkpoint: rollback → refused (400 old > size, or 409), head unchanged', () => {
  const { state, witness } = fresh();
  const ls = leaves('a', 20);
  witness.addCheckpoint(body(0, ls, 12));
  assert.equal(
    witness.addCheckpoint(formatAddCheckpoint({ oldSize: 12, proof: [], note: checkpointOf(ls, 8).note }))
      .status,
    400,
  );
  assert.equal(witness.addCheckpoint(body(0, ls, 8)).status, 409);
  assert.equal(witness.addCheckpoint(body(8, ls, 8)).status, 409);
  assert.equal(state.head(ORIGIN)?.size, 12);
  state.close();
});

test('add-checkpoint: fork at the same size → 409 and both notes kept as evidence', () => {
  const { state, witness } = fresh();
  const a = leaves('a', 10);
  const b = [...a.slice(0, 6), ...leaves('b', 4)];
  witness.addCheckpoint(body(0, a, 10));
  const r = witness.addCheckpoint(body(10, b, 10));
  assert.equal(r.status, 409);
  assert.equal(r.body, '10\n');
  const forks = state.forks();
  assert.equal(forks.length, 1);
  assert.equal(forks[0]!.size, 10);
  assert.notEqual(forks[0]!.note, forks[0]!.conflictingNote);
  state.close();
});

test('add-checkpoint: fork at a larger size → the consistency proof fails (422)', () => {
  const { state, witness } = fresh();
  const a = leaves('a', 10);
  const b = [...a.slice(0, 6), ...leaves('b', 10)];
  witness.addCheckpoint(body(0, a, 10));
  // The forked log can only prove its own history: from 10 in b, not a.
  const r = witness.addCheckpoint(body(10, b, 16));
  assert.equal(r.status, 422, r.body);
  assert.equal(state.head(ORIGIN)?.size, 10);
  state.close();
});

test('add-checkpoint: unknown origin → 404; wrong log key → 403; malformed → 400', () => {
  const { state, witness } = fresh();
  const ls = leaves('a', 4);
  const stranger = signerFromSeed('airlock.test/other', Buffer.alloc(32, 2));
  assert.equal(witness.addCheckpoint(body(0, ls, 4, stranger)).status, 404);
  const impostor = signerFromSeed(ORIGIN, Buffer.alloc(32, 3));
  assert.equal(witness.addCheckpoint(body(0, ls, 4, impostor)).status, 403);
  assert.equal(witness.addCheckpoint('old 0\n').status, 400);
  assert.equal(witness.addCheckpoint(`old 00\n\n${checkpointOf(ls, 4).note}`).status, 400);
  assert.equal(witness.addCheckpoint(`old 0\nnot-base64\n\n${checkpointOf(ls, 4).note}`).status, 400);
  const tooMany = `old 1\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\n${checkpointOf(ls, 4).note}`;
  assert.equal(witness.addCheckpoint(tooMany).status, 400);
  assert.equal(state.head(ORIGIN), undefined);
  state.close();
});

test('add-checkpoint: a proof from size 0 must be empty; equal sizes need an empty proof (422)', () => {
  const { state, witness } = fresh();
  const ls = leaves('a', 8);
  const junk = [Buffer.alloc(32, 5)];
  assert.equal(
    witness.addCheckpoint(formatAddCheckpoint({ oldSize: 0, proof: junk, note: checkpointOf(ls, 4).note }))
      .status,
    422,
  );
  witness.addCheckpoint(body(0, ls, 4));
  assert.equal(
    witness.addCheckpoint(formatAddCheckpoint({ oldSize: 4, proof: junk, note: checkpointOf(ls, 4).note }))
      .status,
    422,
  );
  state.close();
});

test('protocol: request body round-trips', () => {
  const ls = leaves('a', 9);
  const text = body(3, ls, 9);
  const parsed = parseAddCheckpoint(text);
  assert.ok(parsed.ok);
  assert.equal(parsed.oldSize, 3);
  assert.equal(formatAddCheckpoint(parsed), text);
});
