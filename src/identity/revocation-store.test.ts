import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createMemoryRevocationStore, type RevocationStore } from './revocation-store.ts';
import { openNodeRevocationFile } from './revocation-store-sqlite.ts';

// The store-backed drivers (SQLite and PostgreSQL over the store's database) run the same cases in
// test/integration/task-token-store-contract.test.ts.
const drivers: [string, () => RevocationStore][] = [
  ['memory', () => createMemoryRevocationStore()],
  ['node file', () => openNodeRevocationFile(join(mkdtempSync(join(tmpdir(), 'airlock-rev-')), 'rev.db'))],
];

for (const [name, open] of drivers) {
  test(`revocations (${name}): task and jti revocations hold until they lapse, then prune`, async () => {
    const s = open();
    const t = (ms: number) => new Date(1_900_000_000_000 + ms);
    await s.revokeTask('task-1', t(1000));
    await s.revokeToken('jti-1', t(500));
    assert.equal(await s.isRevoked({ taskId: 'task-1', jti: 'other' }, t(0)), true);
    assert.equal(await s.isRevoked({ taskId: 'task-2', jti: 'jti-1' }, t(0)), true);
    assert.equal(await s.isRevoked({ taskId: 'task-2', jti: 'jti-2' }, t(0)), false);
    assert.equal(await s.isRevoked({ jti: 'task-1' }, t(0)), false, 'kinds do not mix');
    await s.revokeTask('task-1', t(10)); // an earlier horizon never shortens a revocation
    assert.equal(await s.isRevoked({ taskId: 'task-1' }, t(800)), true);
    assert.equal(await s.isRevoked({ jti: 'jti-1' }, t(800)), false);
    assert.deepEqual(
      (await s.list(t(800))).map((e) => [e.kind, e.id, e.until.getTime()]),
      [['task', 'task-1', t(1000).getTime()]],
    );
    assert.equal(await s.prune(t(800)), 1);
    assert.equal(await s.prune(t(2000)), 1);
    s.close();
  });
}

test('revocations (node file): the file is 0600 and survives a reopen', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'airlock-rev-')), 'rev.db');
  const a = openNodeRevocationFile(path);
  await a.revokeTask('t', new Date(Date.now() + 60_000));
  a.close();
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const b = openNodeRevocationFile(path);
  assert.equal(await b.isRevoked({ taskId: 't' }, new Date()), true);
  b.close();
});
