import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { createKeySet, keyMatchesAlg, parseJwks } from './jwks.ts';
import { KeyResolutionError } from './jwt-common.ts';

const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const jwk = (key: KeyObject, kid: string) => ({ ...(key.export({ format: 'jwk' }) as object), kid });
const reason = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return (e as KeyResolutionError).reason;
  }
};
const base = {
  algorithms: ['ES256'] as const,
  ttlMs: 600_000,
  minRefreshIntervalMs: 30_000,
  timeoutMs: 1000,
};

test('jwks: key type must match the algorithm; small RSA keys never verify', () => {
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
  assert.equal(keyMatchesAlg(rsa1024, 'RS256'), false);
  assert.equal(keyMatchesAlg(ec(), 'ES256'), true);
  assert.equal(keyMatchesAlg(ec(), 'RS256'), false);
  assert.equal(keyMatchesAlg(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey, 'ES256'), false);
  assert.equal(keyMatchesAlg(generateKeyPairSync('ed25519').publicKey, 'EdDSA'), true);
  assert.equal(keyMatchesAlg(ec(), 'HS256'), false);
});

test('jwks: keys for encryption or without verify are skipped', () => {
  const k = ec();
  assert.equal(parseJwks({ keys: [{ ...jwk(k, 'a'), use: 'enc' }] }, 't').length, 0);
  assert.equal(parseJwks({ keys: [{ ...jwk(k, 'a'), key_ops: ['encrypt'] }] }, 't').length, 0);
  assert.equal(parseJwks({ keys: [jwk(k, 'a')] }, 't').length, 1);
  assert.throws(() => parseJwks({ nokeys: [] }, 't'));
});

test('jwks url: unknown kid refreshes once per interval (no amplification), then finds rotated keys', async () => {
  let t = 1_000_000;
  let fetches = 0;
  let served = [jwk(ec(), 'k1')];
  const set = createKeySet(
    { ...base, jwksUrl: 'https://idp.internal/jwks' },
    {
      now: () => t,
      fetchJwks: async () => {
        fetches++;
        return { keys: served };
      },
    },
  );
  assert.equal(await reason(set.resolve({ alg: 'ES256', kid: 'k1' })), 'resolved');
  assert.equal(fetches, 1);
  for (let i = 0; i < 5; i++)
    assert.equal(await reason(set.resolve({ alg: 'ES256', kid: `rnd-${i}` })), 'unknown_kid');
  assert.equal(fetches, 1);
  served = [...served, jwk(ec(), 'k2')];
  t += 30_000;
  assert.equal(await reason(set.resolve({ alg: 'ES256', kid: 'k2' })), 'resolved');
  assert.equal(fetches, 2);
});

test('jwks url: a failing fetch keeps the cached keys; with no keys at all → jwks_unavailable', async () => {
  let t = 0;
  let up = true;
  const errors: unknown[] = [];
  const k = jwk(ec(), 'k1');
  const set = createKeySet(
    { ...base, jwksUrl: 'https://idp.internal/jwks' },
    {
      now: () => t,
      onFetchError: (e) => errors.push(e),
      fetchJwks: async () => {
        if (!up) throw new Error('down');
        return { keys: [k] };
      },
    },
  );
  assert.equal(await set.refresh(), true);
  up = false;
  t += 700_000; // past ttl: a background refresh fails, cached keys still verify
  assert.equal(await reason(set.resolve({ alg: 'ES256', kid: 'k1' })), 'resolved');
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.length, 1);

  const empty = createKeySet(
    { ...base, jwksUrl: 'https://idp.internal/jwks' },
    {
      fetchJwks: async () => {
        throw new Error('down');
      },
    },
  );
  assert.equal(await reason(empty.resolve({ alg: 'ES256', kid: 'k1' })), 'jwks_unavailable');
});

test('jwks: without a kid only an unambiguous key is used', async () => {
  const one = createKeySet({ ...base }, {});
  assert.equal(await reason(one.resolve({ alg: 'ES256' })), 'unknown_kid');
  assert.equal(await reason(one.resolve({ alg: 'none' })), 'alg_not_allowed');
  assert.equal(await reason(one.resolve({ alg: 'HS256' })), 'alg_not_allowed');
  assert.ok(KeyResolutionError);
});

test('jwks url: a key the IdP withdrew stops resolving after the refresh, though it was resolved before', async () => {
  let t = 1_000_000;
  let served = [jwk(ec(), 'k1')];
  const set = createKeySet(
    { ...base, jwksUrl: 'https://idp.internal/jwks' },
    { now: () => t, fetchJwks: async () => ({ keys: served }) },
  );
  const first = await set.resolve({ alg: 'ES256', kid: 'k1' });
  assert.equal(await set.resolve({ alg: 'ES256', kid: 'k1' }), first); // found again without a search
  assert.equal(await set.resolve({ alg: 'ES256' }), first); // the one key, unambiguous without a kid
  assert.equal(await reason(set.resolve({ alg: 'ES256', kid: '' })), 'unknown_kid'); // not the no-kid key
  served = [jwk(ec(), 'k2')];
  t += 700_000; // past ttl: the background refresh replaces the keys
  await set.resolve({ alg: 'ES256', kid: 'k1' }).catch(() => {});
  await new Promise((r) => setImmediate(r));
  assert.equal(await reason(set.resolve({ alg: 'ES256', kid: 'k1' })), 'unknown_kid');
  assert.equal(await reason(set.resolve({ alg: 'ES256', kid: 'k2' })), 'resolved');
});
