import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, needsRehash, parsePasswordHash, verifyPassword } from './password.ts';

const base = { memory: 19_456, passes: 2, parallelism: 1 };

test('password: argon2id PHC string carries its parameters; verify right / wrong', async () => {
  const phc = await hashPassword('correct horse battery', base);
  assert.match(phc, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  assert.deepEqual(parsePasswordHash(phc)?.params, base);
  assert.equal(await verifyPassword('correct horse battery', phc), true);
  assert.equal(await verifyPassword('correct horse batterY', phc), false);
});

test('password: two hashes of one password differ (random salt)', async () => {
  assert.notEqual(
    await hashPassword('same password here', base),
    await hashPassword('same password here', base),
  );
});

test('password: needsRehash when parameters are raised, not when equal', async () => {
  const phc = await hashPassword('rehash me please', base);
  assert.equal(needsRehash(phc, base), false);
  assert.equal(needsRehash(phc, { ...base, passes: 3 }), true);
  assert.equal(needsRehash(phc, { ...base, memory: 32_768 }), true);
  assert.equal(needsRehash('garbage', base), true);
});

test('password: parameters below the OWASP floor are refused; malformed hashes verify nothing', async () => {
  await assert.rejects(hashPassword('x'.repeat(12), { memory: 1024, passes: 2, parallelism: 1 }), RangeError);
  await assert.rejects(
    hashPassword('x'.repeat(12), { memory: 19_456, passes: 1, parallelism: 1 }),
    RangeError,
  );
  assert.equal(
    await verifyPassword(
      'anything',
      '$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA',
    ),
    false,
  );
  assert.equal(await verifyPassword('anything', ''), false);
});
