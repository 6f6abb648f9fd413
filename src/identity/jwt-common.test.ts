import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bearerToken,
  createVerifiedCache,
  inspectToken,
  lifetimeReason,
  MAX_TOKEN_BYTES,
} from './jwt-common.ts';

test('bearer: only Authorization Bearer, one token', () => {
  assert.equal(bearerToken({ authorization: 'Bearer abc' }), 'abc');
  assert.equal(bearerToken({ authorization: 'bearer abc ' }), 'abc');
  assert.equal(bearerToken({ authorization: 'Bearer a b' }), undefined);
  assert.equal(bearerToken({ authorization: 'Basic abc' }), undefined);
  assert.equal(bearerToken({ 'x-api-key': 'abc' }), undefined);
});

test('shape: abstain on non-JWTs, flag oversized JWTs before decoding', () => {
  assert.equal(inspectToken('alk_abc').kind, 'not-jwt');
  assert.equal(inspectToken('a.b.c').kind, 'not-jwt');
  assert.equal(inspectToken(`eyJ${'a'.repeat(MAX_TOKEN_BYTES)}.b.c`).kind, 'too-large');
  assert.equal(inspectToken('eyJhbGciOiJub25lIn0.bm90anNvbg.').kind, 'malformed');
});

test('lifetime: exp required, iat sane, exp - iat (or exp - now) within the cap', () => {
  assert.equal(lifetimeReason({}, 1000, 60, 3600), 'missing_exp');
  assert.equal(lifetimeReason({ exp: 2000, iat: 1100 }, 1000, 60, 3600), 'iat_in_future');
  assert.equal(lifetimeReason({ exp: 5000, iat: 1000 }, 1000, 60, 3600), 'lifetime_over_cap');
  assert.equal(lifetimeReason({ exp: 5000 }, 1000, 60, 3600), 'lifetime_over_cap');
  assert.equal(lifetimeReason({ exp: 1000, iat: 1000 }, 1000, 60, 3600), 'bad_claims');
  assert.equal(lifetimeReason({ exp: 2000, iat: 1000 }, 1000, 60, 3600), undefined);
});

test('verified cache: never returns an expired entry; bounded, oldest out first', () => {
  const c = createVerifiedCache<number>(2);
  c.set('a', 1, 100);
  assert.equal(c.get('a', 99), 1);
  assert.equal(c.get('a', 100), undefined);
  c.set('a', 1, 1000);
  c.set('b', 2, 1000);
  c.set('c', 3, 1000);
  assert.equal(c.get('a', 0), undefined);
  assert.equal(c.get('c', 0), 3);
});
