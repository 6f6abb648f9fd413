import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { test } from 'node:test';
import { formatVkey } from '../note/signed-note.ts';
import {
  claimsCosigner,
  cosignerKeyId,
  parseCosignerVkey,
  parseSignatureLine,
  splitNote,
  verifyCosignature,
} from './cosignature.ts';
import { cosignerFromSeed, formatWitnessKey, parseWitnessKey } from './witness-key.ts';

const SEED = Buffer.alloc(32, 0x2a);
const TEXT = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

test('cosignature: key id is SHA-256(name || 0x0a || 0x04 || pubkey)[:4] (tlog-cosignature §Format)', () => {
  const c = cosignerFromSeed('witness.example.com/w1', SEED);
  const want = createHash('sha256')
    .update(Buffer.concat([Buffer.from('witness.example.com/w1\n'), Buffer.from([0x04]), c.publicKey]))
    .digest()
    .subarray(0, 4);
  assert.deepEqual(Buffer.from(c.keyId), want);
  assert.deepEqual(Buffer.from(cosignerKeyId(c.name, c.publicKey)), want);
  assert.match(c.vkey, new RegExp(`^witness\\.example\\.com/w1\\+${want.toString('hex')}\\+B`));
  assert.deepEqual(parseCosignerVkey(c.vkey).publicKey, c.publicKey);
});

test('cosignature: line is keyid || u64be(time) || Ed25519 over "cosignature/v1\\ntime T\\n" || text', () => {
  const c = cosignerFromSeed('witness.example.com/w1', SEED);
  const line = c.cosign(TEXT, 1679315147);
  const sig = parseSignatureLine(line)!;
  assert.equal(sig.name, 'witness.example.com/w1');
  assert.equal(sig.bytes.length, 76);
  assert.deepEqual(sig.bytes.subarray(0, 4), Buffer.from(c.keyId));
  assert.equal(sig.bytes.readBigUInt64BE(4), 1679315147n);
  const key = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), c.publicKey]),
    format: 'der',
    type: 'spki',
  });
  const message = Buffer.from(`cosignature/v1\ntime 1679315147\n${TEXT}`);
  assert.equal(verify(null, message, key, sig.bytes.subarray(12)), true);
  assert.deepEqual(verifyCosignature(parseCosignerVkey(c.vkey), TEXT, sig), { ok: true, time: 1679315147 });
  // Ed25519 is deterministic: the same key, time and text give the same line.
  assert.equal(c.cosign(TEXT, 1679315147), line);
});

test('cosignature: another time, another text or a flipped byte → reject', () => {
  const c = cosignerFromSeed('w', SEED);
  const v = parseCosignerVkey(c.vkey);
  const sig = parseSignatureLine(c.cosign(TEXT, 100))!;
  assert.equal(verifyCosignature(v, TEXT.replace('20852163', '20852164'), sig).ok, false);
  const later = Buffer.from(sig.bytes);
  later.writeBigUInt64BE(101n, 4);
  assert.equal(verifyCosignature(v, TEXT, { ...sig, bytes: later }).ok, false);
  const flipped = Buffer.from(sig.bytes);
  flipped[40]! ^= 1;
  assert.equal(verifyCosignature(v, TEXT, { ...sig, bytes: flipped }).ok, false);
  assert.equal(verifyCosignature(v, TEXT, { ...sig, bytes: sig.bytes.subarray(0, 75) }).ok, false);
});

test('cosignature: a log (0x01) key is not a witness key, and a mismatched key id is refused', () => {
  const c = cosignerFromSeed('w', SEED);
  assert.throws(() => parseCosignerVkey(formatVkey('w', c.publicKey)), /type 0x04/);
  const key = c.vkey.slice(c.name.length + 10);
  assert.throws(() => parseCosignerVkey(`${c.name}+00000000+${key}`), /does not match/);
  // A 0x01 note signature by the same key pair does not claim the cosigner key id.
  const noteSig = { name: 'w', bytes: Buffer.concat([Buffer.alloc(4), Buffer.alloc(72)]) };
  assert.equal(claimsCosigner(noteSig, parseCosignerVkey(c.vkey)), false);
});

test('witness key file: round-trips and refuses other key types', () => {
  const text = formatWitnessKey('witness.test/a', SEED);
  assert.match(text, /^PRIVATE\+KEY\+witness\.test\/a\+[0-9a-f]{8}\+BC/);
  assert.equal(parseWitnessKey(text).vkey, cosignerFromSeed('witness.test/a', SEED).vkey);
  assert.throws(() => parseWitnessKey(text.replace('+BC', '+AS')), /type 0x04/);
});

test('splitNote: text and signature lines; no signature block → reject', () => {
  const c = cosignerFromSeed('w', SEED);
  const note = `${TEXT}\n${c.cosign(TEXT, 5)}\n`;
  const s = splitNote(note);
  assert.ok(s.ok);
  assert.equal(s.text, TEXT);
  assert.equal(s.signatures.length, 1);
  assert.equal(splitNote(TEXT).ok, false);
  assert.equal(splitNote(`${TEXT}\nnot a signature\n`).ok, false);
});
