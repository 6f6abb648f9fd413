import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signCheckpoint } from '../note/checkpoint.ts';
import { signerFromSeed } from '../note/signer-key.ts';
import { verifyCosignedCheckpoint } from './cosign-policy.ts';
import { cosignerFromSeed } from './witness-key.ts';

const log = signerFromSeed('airlock.test/policy', Buffer.alloc(32, 1));
const ws = [1, 2, 3].map((i) => cosignerFromSeed(`witness.test/w${i}`, Buffer.alloc(32, 10 + i)));
const cp = signCheckpoint(log, 42, Buffer.alloc(32, 7));
const text = cp.note.slice(0, cp.note.indexOf('\n\n') + 1);
const cosigned = (...idx: number[]) =>
  cp.note + idx.map((i) => `${ws[i]!.cosign(text, 1000 + i)}\n`).join('');
const vkeys = ws.map((w) => w.vkey);

test('policy: 2 of 3 cosigned, k=2 → ok with both cosigners and times', () => {
  const v = verifyCosignedCheckpoint(cosigned(0, 2), log.vkey, vkeys, 2);
  assert.equal(v.ok, true);
  assert.deepEqual(v.cosigners, [
    { name: 'witness.test/w1', time: 1000 },
    { name: 'witness.test/w3', time: 1002 },
  ]);
  assert.equal(v.checkpoint?.size, 42);
});

test('policy: 1 of 3 cosigned, k=2 → below quorum', () => {
  const v = verifyCosignedCheckpoint(cosigned(1), log.vkey, vkeys, 2);
  assert.equal(v.ok, false);
  assert.equal(v.failure, 'below-quorum');
});

test('policy: the same witness twice counts once; unknown cosigners are ignored', () => {
  const stranger = cosignerFromSeed('witness.test/x', Buffer.alloc(32, 99));
  const note = `${cosigned(0, 0)}${stranger.cosign(text, 5)}\n`;
  assert.equal(verifyCosignedCheckpoint(note, log.vkey, vkeys, 2).ok, false);
  assert.equal(verifyCosignedCheckpoint(note, log.vkey, vkeys, 1).ok, true);
});

test('policy: a tampered cosignature by a configured witness → reject the note', () => {
  const note = cosigned(0, 1, 2);
  const lines = note.split('\n');
  const last = lines.at(-2)!;
  lines[lines.length - 2] = `${last.slice(0, -6)}AAAA${last.slice(-2)}`;
  const v = verifyCosignedCheckpoint(lines.join('\n'), log.vkey, vkeys, 2);
  assert.equal(v.ok, false);
  assert.equal(v.failure, 'invalid-cosignature');
});

test('policy: a cosignature moved onto another checkpoint → not counted; bad log signature → reject', () => {
  const other = signCheckpoint(log, 43, Buffer.alloc(32, 8));
  const moved = other.note + cosigned(0, 1).slice(cp.note.length);
  assert.equal(verifyCosignedCheckpoint(moved, log.vkey, vkeys, 1).failure, 'invalid-cosignature');
  const impostor = signerFromSeed('airlock.test/policy', Buffer.alloc(32, 2));
  assert.equal(verifyCosignedCheckpoint(cosigned(0, 1), impostor.vkey, vkeys, 1).failure, 'log-signature');
});

test('policy: k outside 1..n distinct keys → RangeError', () => {
  assert.throws(() => verifyCosignedCheckpoint(cp.note, log.vkey, vkeys, 0), RangeError);
  assert.throws(() => verifyCosignedCheckpoint(cp.note, log.vkey, [vkeys[0]!, vkeys[0]!], 2), RangeError);
});

test('wiring: witness URLs become egress entries; no witnesses → no publisher', async () => {
  const { witnessEgressEntries, openCosignPublisher } = await import('./wiring.ts');
  const { witnessingConfigSchema } = await import('./config.ts');
  const config = witnessingConfigSchema.parse({
    witnesses: [
      { url: 'https://w1.example.org/witness', vkey: vkeys[0] },
      { url: 'http://[fd00::5]:7380', vkey: vkeys[1] },
    ],
    k: 2,
  });
  assert.deepEqual(witnessEgressEntries(config), ['w1.example.org:443', '[fd00::5]:7380']);
  const none = witnessingConfigSchema.parse({});
  assert.equal(openCosignPublisher(none, { log: {} as never, logVkey: log.vkey, dataDir: '/x' }), undefined);
  assert.equal(witnessingConfigSchema.safeParse({ witnesses: config.witnesses, k: 3 }).success, false);
});
