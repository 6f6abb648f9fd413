// Attacks on witnessing (DESIGN.md §5, P9): a log operator who rolls back or forks its log, someone
// replaying or forging cosignatures, type confusion between log and witness keys, a racing pair of
// submissions that would roll the witness back, and abuse of the HTTP surface.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { leafHash } from '../../src/evidence/merkle/hash.ts';
import { referenceConsistencyProof, referenceRoot } from '../../src/evidence/merkle/reference.ts';
import { signCheckpoint } from '../../src/evidence/note/checkpoint.ts';
import { signNote } from '../../src/evidence/note/signed-note.ts';
import { signerFromSeed } from '../../src/evidence/note/signer-key.ts';
import type { Checkpoint } from '../../src/evidence/types.ts';
import { verifyCosignedCheckpoint } from '../../src/evidence/witness/cosign-policy.ts';
import { makeCosigner } from '../../src/evidence/witness/cosignature.ts';
import { formatAddCheckpoint } from '../../src/evidence/witness/protocol.ts';
import type { RunningWitnessServer } from '../../src/evidence/witness/server.ts';
import { startWitnessServer } from '../../src/evidence/witness/server.ts';
import type { WitnessState } from '../../src/evidence/witness/state.ts';
import { openWitnessState } from '../../src/evidence/witness/state.ts';
import { createWitness } from '../../src/evidence/witness/witness.ts';
import { cosignerFromSeed } from '../../src/evidence/witness/witness-key.ts';

const ORIGIN = 'airlock.test/attacked';
const logSigner = signerFromSeed(ORIGIN, Buffer.alloc(32, 1));
const cosigner = cosignerFromSeed('witness.test/guard', Buffer.alloc(32, 2));
const leaves = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${tag}${i}`)));
const cpOf = (ls: Uint8Array[], size: number): Checkpoint =>
  signCheckpoint(logSigner, size, referenceRoot(ls.slice(0, size)));
const textOf = (cp: Checkpoint) => cp.note.slice(0, cp.note.indexOf('\n\n') + 1);

let dir = '';
let state: WitnessState;
let server: RunningWitnessServer;
const post = async (body: string | Uint8Array) => {
  const res = await fetch(`${server.url}/add-checkpoint`, { method: 'POST', body });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
};
const submit = (old: number, ls: Uint8Array[], size: number) =>
  post(
    formatAddCheckpoint({
      oldSize: old,
      proof: old === 0 || old >= size ? [] : referenceConsistencyProof(old, ls.slice(0, size)),
      note: cpOf(ls, size).note,
    }),
  );

describe('witness under attack', () => {
  const honest = leaves('honest', 64);
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-witness-sec-'));
    state = openWitnessState(join(dir, 'witness.db'));
    server = await startWitnessServer(createWitness({ cosigner, logVkeys: [logSigner.vkey], state }), {
      host: '127.0.0.1',
      port: 0,
    });
    assert.equal((await submit(0, honest, 20)).status, 200);
  });
  after(async () => {
    await server.close();
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rollback: an older, genuinely signed checkpoint is never cosigned again', async () => {
    for (const old of [0, 10, 20]) assert.notEqual((await submit(old, honest, 10)).status, 200);
    assert.equal(state.head(ORIGIN)?.size, 20);
  });

  it('split view: the log key signing another history at the same size → 409 and fork evidence', async () => {
    const other = [...honest.slice(0, 15), ...leaves('evil', 5)];
    const r = await submit(20, other, 20);
    assert.equal(r.status, 409);
    assert.equal(r.type, 'text/x.tlog.size');
    assert.equal(state.forks().length, 1);
  });

  it('split view at a larger size: no proof from the cosigned root exists → 422; junk proofs leave no evidence rows', async () => {
    const other = [...honest.slice(0, 15), ...leaves('evil', 20)];
    assert.equal((await submit(20, other, 35)).status, 422);
    const junk = Array.from({ length: 6 }, (_, i) => Buffer.alloc(32, i));
    for (let i = 0; i < 5; i++) {
      const r = await post(formatAddCheckpoint({ oldSize: 20, proof: junk, note: cpOf(honest, 40).note }));
      assert.equal(r.status, 422);
    }
    assert.equal(state.head(ORIGIN)?.size, 20);
    assert.equal(state.forks().length, 1);
  });

  it('race: concurrent submissions from one old size → exactly one is cosigned, the head never moves back', async () => {
    const sizes = [24, 40, 22, 33, 28, 31];
    const results = await Promise.all(sizes.map((s) => submit(20, honest, s)));
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    const winner = sizes[results.findIndex((r) => r.status === 200)]!;
    assert.equal(state.head(ORIGIN)?.size, winner);
    for (const r of results) if (r.status === 409) assert.equal(r.body, `${winner}\n`);
  });

  it('forged and replayed cosignatures do not count toward k', async () => {
    const size = state.head(ORIGIN)!.size;
    const next = cpOf(honest, size + 4);
    const r = await submit(size, honest, size + 4);
    assert.equal(r.status, 200);
    const line = r.body.trimEnd();
    assert.equal(
      verifyCosignedCheckpoint(`${next.note}${line}\n`, logSigner.vkey, [cosigner.vkey], 1).ok,
      true,
    );
    // Replay onto another checkpoint of the same log.
    const other = cpOf(honest, size + 5);
    assert.equal(
      verifyCosignedCheckpoint(`${other.note}${line}\n`, logSigner.vkey, [cosigner.vkey], 1).ok,
      false,
    );
    // A plain Ed25519 note signature by the witness key pair (type 0x01) is not a cosignature.
    const raw = signerFromSeed('witness.test/guard', Buffer.alloc(32, 2));
    const plain = signNote(textOf(next), raw).slice(textOf(next).length + 1);
    assert.equal(
      verifyCosignedCheckpoint(`${next.note}${plain}`, logSigner.vkey, [cosigner.vkey], 1).ok,
      false,
    );
    // A cosignature by an unconfigured key that copies the witness's name is ignored.
    const mallory = cosignerFromSeed('witness.test/guard', Buffer.alloc(32, 66));
    const forged = `${next.note}${mallory.cosign(textOf(next), 1)}\n`;
    assert.equal(verifyCosignedCheckpoint(forged, logSigner.vkey, [cosigner.vkey], 1).ok, false);
  });

  it('type confusion: a cosignature over the raw checkpoint (no cosignature/v1 header) does not verify', () => {
    const cp = cpOf(honest, 8);
    const wrong = makeCosigner(cosigner.name, cosigner.publicKey, () =>
      // Sign the checkpoint text itself, as a log signature would, under the cosigner key id.
      signerFromSeed('x', Buffer.alloc(32, 2)).sign(Buffer.from(textOf(cp))),
    );
    const note = `${cp.note}${wrong.cosign(textOf(cp), 5)}\n`;
    const v = verifyCosignedCheckpoint(note, logSigner.vkey, [cosigner.vkey], 1);
    assert.equal(v.ok, false);
    assert.equal(v.failure, 'invalid-cosignature');
  });

  it('HTTP surface: oversized body → 413, GET → 405, other paths → 404, invalid UTF-8 → 400', async () => {
    assert.equal((await post(Buffer.alloc(70 * 1024, 0x41))).status, 413);
    assert.equal((await fetch(`${server.url}/add-checkpoint`)).status, 405);
    assert.equal(
      (await fetch(`${server.url}/add-checkpoint/../x`, { method: 'POST', body: 'x' })).status,
      404,
    );
    assert.equal((await post(Buffer.from([0x6f, 0x6c, 0x64, 0x20, 0xff, 0x0a]))).status, 400);
  });
});
