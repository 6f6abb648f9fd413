import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { ApiKeyRecord } from '../store/types.ts';
import { createApiKeyAuthenticator } from './api-key-authenticator.ts';
import { generateApiKey } from './api-key-codec.ts';

const NOW = Date.UTC(2030, 0, 1);

function memoryKeys() {
  const byHash = new Map<string, ApiKeyRecord>();
  const store = {
    lookups: 0,
    async findApiKeyByHash(hash: string) {
      store.lookups++;
      return byHash.get(hash);
    },
    async touchApiKey() {},
    add(hash: string, id: string, prefix: string, patch: Partial<ApiKeyRecord> = {}) {
      byHash.set(hash, {
        id,
        prefix,
        hash,
        owner: 'alice',
        kind: 'client',
        models: ['*'],
        endpoints: ['*'],
        createdAt: new Date(NOW - 1000),
        expiresAt: new Date(NOW + 60_000),
        revokedAt: null,
        replacedBy: null,
        lastUsedAt: null,
        createdBy: null,
        ...patch,
      });
    },
    patch(hash: string, patch: Partial<ApiKeyRecord>) {
      byHash.set(hash, { ...byHash.get(hash)!, ...patch });
    },
  };
  return store;
}

const request = (key: string) => ({
  headers: { authorization: `Bearer ${key}` },
  surface: 'client' as const,
  method: 'POST',
});

test('api key: every request reads the record, so a revoke or expiry after earlier successes applies at once', async () => {
  const pepper = randomBytes(32);
  const store = memoryKeys();
  const auth = createApiKeyAuthenticator({ store, pepper, now: () => NOW });
  const key = generateApiKey(pepper, 'client');
  store.add(key.hash, key.id, key.prefix);
  for (let i = 0; i < 3; i++) {
    const r = await auth.authenticate(request(key.key));
    assert.equal(r.kind, 'authenticated');
  }
  assert.equal(store.lookups, 3);
  store.patch(key.hash, { revokedAt: new Date(NOW) });
  assert.deepEqual(await auth.authenticate(request(key.key)), {
    kind: 'reject',
    code: 'revoked_api_key',
    credentialPrefix: key.prefix,
  });
  store.patch(key.hash, { revokedAt: null, expiresAt: new Date(NOW) });
  assert.equal((await auth.authenticate(request(key.key))).kind, 'reject');
  assert.equal(store.lookups, 5);
});

test('api key: another key, a one-character change or another pepper never matches a remembered digest', async () => {
  const pepper = randomBytes(32);
  const store = memoryKeys();
  const auth = createApiKeyAuthenticator({ store, pepper, now: () => NOW });
  const key = generateApiKey(pepper, 'client');
  store.add(key.hash, key.id, key.prefix);
  assert.equal((await auth.authenticate(request(key.key))).kind, 'authenticated');
  const last = key.key.at(-1) === 'A' ? 'B' : 'A';
  const altered = key.key.slice(0, -1) + last;
  assert.deepEqual(await auth.authenticate(request(altered)), { kind: 'reject', code: 'invalid_api_key' });
  const other = generateApiKey(pepper, 'client');
  assert.deepEqual(await auth.authenticate(request(other.key)), { kind: 'reject', code: 'invalid_api_key' });
  // Same store, other pepper (another deployment's authenticator): the key's digest differs.
  const elsewhere = createApiKeyAuthenticator({ store, pepper: randomBytes(32), now: () => NOW });
  assert.deepEqual(await elsewhere.authenticate(request(key.key)), {
    kind: 'reject',
    code: 'invalid_api_key',
  });
  assert.equal((await auth.authenticate(request(key.key))).kind, 'authenticated');
});
