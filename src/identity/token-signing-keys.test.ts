import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createSigningKeyring } from './token-signing-keys.ts';

const H = 3_600_000;

test('signing keys: files are 0600 in a 0700 folder, named by creation time and RFC 7638 kid', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'airlock-keys-')), 'token-signing');
  const ring = createSigningKeyring({ dir, rotationMs: 24 * H, retainMs: H, now: () => 1_900_000_000_000 });
  const { kid } = ring.current();
  const [file] = readdirSync(dir);
  assert.equal(file, `1900000000000-${kid}.pem`);
  assert.equal(statSync(join(dir, file!)).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(ring.jwks().keys.length, 1);
});

test('signing keys: another process sees a rotation by kid; a readable key file is refused', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'airlock-keys-')), 'token-signing');
  let t = 1_900_000_000_000;
  const a = createSigningKeyring({ dir, rotationMs: 24 * H, retainMs: H, now: () => t });
  const b = createSigningKeyring({ dir, rotationMs: 24 * H, retainMs: H, now: () => t });
  const k1 = a.current().kid;
  t += 25 * H;
  const k2 = a.current().kid;
  assert.notEqual(k1, k2);
  assert.ok(b.publicKey(k2), 'b rescans and finds the new key');
  assert.equal(b.current().kid, k2, 'b signs with the rotated key instead of making its own');
  t += 2 * H;
  assert.equal(a.publicKey(k1), undefined, 'retired after its tokens expired');
  const file = readdirSync(dir)[0]!;
  chmodSync(join(dir, file), 0o644);
  assert.throws(() => createSigningKeyring({ dir, rotationMs: 24 * H, retainMs: H, now: () => t }));
});
