import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decryptValue, encryptValue, keyCheck, rewrapKey, sameKeyCheck } from './envelope.ts';

test('envelope: round trip; every version has its own data key and nonce', () => {
  const master = randomBytes(32);
  const a = encryptValue(master, 'N', 1, Buffer.from('value'));
  const b = encryptValue(master, 'N', 1, Buffer.from('value'));
  assert.notDeepEqual(a.wrappedKey, b.wrappedKey);
  assert.notDeepEqual(a.nonce, b.nonce);
  assert.equal(decryptValue(master, 'N', 1, a).toString(), 'value');
});

test('envelope: name and version are bound by the AAD', () => {
  const master = randomBytes(32);
  const row = encryptValue(master, 'N', 1, Buffer.from('value'));
  assert.throws(() => decryptValue(master, 'M', 1, row));
  assert.throws(() => decryptValue(master, 'N', 2, row));
  assert.throws(() => decryptValue(randomBytes(32), 'N', 1, row));
});

test('envelope: rewrap changes only the wrapped key', () => {
  const from = randomBytes(32);
  const to = randomBytes(32);
  const row = encryptValue(from, 'N', 3, Buffer.from('value'));
  const next = { ...row, ...rewrapKey(from, to, 'N', 3, row) };
  assert.deepEqual(next.ciphertext, row.ciphertext);
  assert.equal(decryptValue(to, 'N', 3, next).toString(), 'value');
  assert.throws(() => decryptValue(from, 'N', 3, next));
});

test('envelope: key check tells keys apart', () => {
  const k = randomBytes(32);
  assert.equal(sameKeyCheck(keyCheck(k), keyCheck(Buffer.from(k))), true);
  assert.equal(sameKeyCheck(keyCheck(k), keyCheck(randomBytes(32))), false);
  assert.equal(sameKeyCheck('zz', keyCheck(k)), false);
});
