import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AirlockError } from '../errors.ts';
import { fileSigningKeyStore } from './token-signing-key-stores.ts';
import { createSigningKeyring } from './token-signing-keys.ts';

const H = 3_600_000;
const newDir = () => join(mkdtempSync(join(tmpdir(), 'airlock-keys-')), 'token-signing');

test('signing keys (files): 0600 in a 0700 folder, named by creation time and RFC 7638 kid', async () => {
  const dir = newDir();
  const ring = createSigningKeyring(
    { rotationMs: 24 * H, retainMs: H, now: () => 1_900_000_000_000 },
    { keys: fileSigningKeyStore(dir) },
  );
  const { kid } = await ring.current();
  const [file] = readdirSync(dir);
  assert.equal(file, `1900000000000-${kid}.pem`);
  assert.equal(statSync(join(dir, file!)).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal((await ring.jwks()).keys.length, 1);
});

test('signing keys: another keyring sees a rotation by kid, signs with it, and retires the old key', async () => {
  const dir = newDir();
  let t = 1_900_000_000_000;
  const cfg = { rotationMs: 24 * H, retainMs: H, now: () => t };
  const a = createSigningKeyring(cfg, { keys: fileSigningKeyStore(dir) });
  const b = createSigningKeyring(cfg, { keys: fileSigningKeyStore(dir) });
  const k1 = (await a.current()).kid;
  assert.ok(await b.publicKey(k1), 'b loads a key it has never seen');
  t += 25 * H;
  const k2 = (await a.current()).kid;
  assert.notEqual(k1, k2);
  t += 1001; // past the reload throttle
  assert.ok(await b.publicKey(k2), 'b reloads and finds the new key');
  assert.equal((await b.current()).kid, k2, 'b signs with the rotated key instead of making its own');
  assert.ok(await b.publicKey(k1), 'the old key verifies while its tokens may be valid');
  t += 2 * H;
  assert.equal(await a.publicKey(k1), undefined, 'retired after its tokens expired');
  await a.current();
  assert.equal(readdirSync(dir).length, 1, 'the retired key is removed from the store');
  assert.deepEqual(
    (await a.jwks()).keys.map((k) => k.kid),
    [k2],
  );
});

test('signing keys (files): a key file others can read is refused', async () => {
  const dir = newDir();
  const ring = createSigningKeyring({ rotationMs: 24 * H, retainMs: H }, { keys: fileSigningKeyStore(dir) });
  await ring.current();
  chmodSync(join(dir, readdirSync(dir)[0]!), 0o644);
  const again = createSigningKeyring({ rotationMs: 24 * H, retainMs: H }, { keys: fileSigningKeyStore(dir) });
  await assert.rejects(again.current(), (e: AirlockError) =>
    /readable by group or others/.test(e.detail ?? ''),
  );
});

test('signing keys: concurrent signers that find the key due make one new key between them', async () => {
  const dir = newDir();
  const ring = createSigningKeyring(
    { rotationMs: 24 * H, retainMs: H, now: () => 1_900_000_000_000 },
    { keys: fileSigningKeyStore(dir) },
  );
  const kids = new Set(
    (await Promise.all(Array.from({ length: 8 }, () => ring.current()))).map((k) => k.kid),
  );
  assert.equal(kids.size, 1);
  assert.equal(readdirSync(dir).length, 1);
});
