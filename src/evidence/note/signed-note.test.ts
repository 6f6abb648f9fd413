// Known answers from golang.org/x/mod/sumdb/note (the reference implementation of c2sp.org/signed-note):
// Ed25519 is deterministic (RFC 8032), so our note must match the published one byte for byte.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkpointText, openCheckpoint, signCheckpoint } from './checkpoint.ts';
import { openNote, parseVkey, signNote } from './signed-note.ts';
import { KeyFileError, loadOrCreateSignerKey, parseSignerKey } from './signer-key.ts';

const SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const NOTE = `${TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

test('signed note: signing reproduces the Go reference note byte for byte', () => {
  const signer = parseSignerKey(SKEY);
  assert.equal(signer.vkey, VKEY);
  assert.equal(signNote(TEXT, signer), NOTE);
});

test('signed note: the reference note opens with its vkey; any flipped text byte → reject', () => {
  const v = parseVkey(VKEY);
  assert.deepEqual(openNote(NOTE, v), { ok: true, text: TEXT });
  const tampered = NOTE.replace('answer', 'Answer');
  assert.equal(openNote(tampered, v).ok, false);
  assert.equal(openNote(NOTE.replace('PeterNeumann x08', 'PeterNeumann y08'), v).ok, false);
});

test('signed note: a vkey whose id does not match its key → reject', () => {
  assert.throws(() => parseVkey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'));
});

test('signed note: signatures by unknown keys are ignored; none by the trusted key → reject', () => {
  const other = `${TEXT}\n\u2014 someone AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n`;
  assert.equal(openNote(other, parseVkey(VKEY)).ok, false);
  const both = `${NOTE}\u2014 someone AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n`;
  assert.equal(openNote(both, parseVkey(VKEY)).ok, true);
});

test('checkpoint: tlog-checkpoint body round-trips through a signed note', () => {
  const signer = parseSignerKey(SKEY);
  const root = Buffer.alloc(32, 7);
  const cp = signCheckpoint(signer, 42, root);
  assert.ok(cp.note.startsWith(checkpointText('PeterNeumann', 42, root)));
  const opened = openCheckpoint(cp.note, parseVkey(VKEY));
  assert.ok(opened.ok);
  assert.equal(opened.checkpoint.size, 42);
  assert.deepEqual(Buffer.from(opened.checkpoint.root), root);
});

test('signer key: created 0600, reloaded, and refused when group-readable or for another origin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-key-'));
  try {
    const path = join(dir, 'secrets', 'audit-signing.key');
    const a = loadOrCreateSignerKey(path, 'airlock.test/audit');
    const b = loadOrCreateSignerKey(path, 'airlock.test/audit');
    assert.equal(a.vkey, b.vkey);
    assert.throws(() => loadOrCreateSignerKey(path, 'other.test/audit'), KeyFileError);
    chmodSync(path, 0o640);
    assert.throws(() => loadOrCreateSignerKey(path, 'airlock.test/audit'), /chmod 600/);
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'nonsense', { mode: 0o600 });
    assert.throws(() => loadOrCreateSignerKey(bad, 'x'), KeyFileError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
