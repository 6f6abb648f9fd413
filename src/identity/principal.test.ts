import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseActor,
  parseScope,
  pipelineScopes,
  readClaim,
  scopeCovers,
  scopesOfPrincipal,
} from './principal.ts';

test('scopes: exact match or prefix wildcard; a wildcard is never covered by a narrower scope', () => {
  assert.ok(scopeCovers(['model:small'], 'model:small'));
  assert.ok(scopeCovers(['model:*'], 'model:small'));
  assert.ok(scopeCovers(['model:*'], 'model:*'));
  assert.ok(!scopeCovers(['model:small'], 'model:*'));
  assert.ok(!scopeCovers(['model:*'], 'modelx:small'));
  assert.ok(!scopeCovers(['model:*'], 'model:'));
  assert.ok(!scopeCovers(['*'], 'model:small'));
  assert.ok(!scopeCovers([], 'model:small'));
});

test('scopes: API-key scopes and pipeline scopes map both ways', () => {
  const key = {
    kind: 'client' as const,
    id: 'svc',
    credentialId: 'k',
    credentialPrefix: 'alk_x',
    expiresAt: new Date(0),
    scopes: { models: ['*'], endpoints: ['chat'] },
  };
  assert.deepEqual(scopesOfPrincipal(key), ['model:*', 'endpoint:chat']);
  assert.deepEqual(pipelineScopes(['model:*', 'endpoint:chat', 'tool:x', 'model:']), {
    models: ['*'],
    endpoints: ['chat'],
  });
});

test('scopes: parse space-separated or array, dedupe, refuse junk', () => {
  assert.deepEqual(parseScope('a  b a'), ['a', 'b']);
  assert.deepEqual(parseScope(['a', 'b']), ['a', 'b']);
  assert.equal(parseScope('a "b"'), undefined);
  assert.equal(parseScope([1]), undefined);
  assert.equal(parseScope({}), undefined);
});

test('act: nested actors parse; bad shapes and over-deep chains are invalid', () => {
  assert.deepEqual(parseActor({ sub: 'a', act: { sub: 'b', iss: 'i' } }, 4), {
    sub: 'a',
    act: { sub: 'b', iss: 'i' },
  });
  assert.equal(parseActor(undefined, 4), undefined);
  assert.equal(parseActor({ sub: 'a', act: { sub: 'b' } }, 1), 'invalid');
  assert.equal(parseActor({ sub: 1 }, 4), 'invalid');
  assert.equal(parseActor([{ sub: 'a' }], 4), 'invalid');
});

test('claims: dotted paths read own properties only', () => {
  assert.deepEqual(readClaim({ realm_access: { roles: ['r'] } }, 'realm_access.roles'), ['r']);
  assert.equal(readClaim({}, 'constructor'), undefined);
  assert.equal(readClaim({ a: 'x' }, 'a.length'), undefined);
});
