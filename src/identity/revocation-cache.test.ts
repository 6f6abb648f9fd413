import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCachedRevocationStore } from './revocation-cache.ts';
import { createMemoryRevocationStore } from './revocation-store.ts';

const until = new Date(Date.UTC(2040, 0, 1));
const at = new Date(Date.UTC(2030, 0, 1));

test("revocation cache: another replica's revocation is seen within maxStaleness, never later", async () => {
  let t = 0;
  const shared = createMemoryRevocationStore(); // the store both replicas read
  const reads: string[] = [];
  const counted = {
    ...shared,
    isRevoked: async (r: { taskId?: string }, n: Date) => {
      reads.push(r.taskId ?? '');
      return shared.isRevoked(r, n);
    },
  };
  const b = createCachedRevocationStore(counted, { maxStalenessMs: 1000, now: () => t });
  assert.equal(await b.isRevoked({ taskId: 'job', jti: 'j1' }, at), false);
  t = 999;
  assert.equal(await b.isRevoked({ taskId: 'job', jti: 'j1' }, at), false, 'served from the cache');
  assert.equal(reads.length, 1);
  await shared.revokeTask('job', until); // replica A revokes
  assert.equal(await b.isRevoked({ taskId: 'job', jti: 'j1' }, at), false, 'still within the window');
  t = 1000;
  assert.equal(await b.isRevoked({ taskId: 'job', jti: 'j1' }, at), true, 'refused once the window ends');
  t = 50_000;
  assert.equal(await b.isRevoked({ taskId: 'job', jti: 'j1' }, at), true, 'a revocation is remembered');
  assert.equal(reads.length, 2);
});

test('revocation cache: a revocation through this replica applies at once; 0 means no cache', async () => {
  const t = 0;
  const b = createCachedRevocationStore(createMemoryRevocationStore(), {
    maxStalenessMs: 5000,
    now: () => t,
  });
  assert.equal(await b.isRevoked({ taskId: 'job', jti: 'j1' }, at), false);
  assert.equal(await b.isRevoked({ taskId: 'other', jti: 'j2' }, at), false);
  await b.revokeToken('j2', until);
  await b.revokeTask('job', until);
  assert.equal(await b.isRevoked({ taskId: 'job', jti: 'j1' }, at), true);
  assert.equal(await b.isRevoked({ taskId: 'other', jti: 'j2' }, at), true);
  const inner = createMemoryRevocationStore();
  assert.equal(createCachedRevocationStore(inner, { maxStalenessMs: 0 }), inner);
});
