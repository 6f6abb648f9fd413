import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposedUri, hasDotSegments, splitExposedUri } from './content-catalog.ts';

test('exposed resource URIs: airlock://<server>/<the server’s own URI>, split back exactly', () => {
  const cases = ['memo://public/readme', 'file:///srv/data/a b.txt', 'memory://knowledge-graph', 'x'];
  for (const uri of cases) assert.deepEqual(splitExposedUri(exposedUri('srv', uri)), { server: 'srv', uri });
  assert.equal(exposedUri('fs', 'file:///tmp/{name}'), 'airlock://fs/file:///tmp/{name}');
});

test('splitExposedUri: anything not under airlock://<server>/ is not ours', () => {
  for (const uri of [
    'memo://public/readme',
    'airlock://',
    'airlock:///memo',
    'airlock://srv',
    'airlock://srv/',
  ])
    assert.equal(splitExposedUri(uri), undefined, uri);
});

test('hasDotSegments: plain, percent-encoded and backslash forms are caught; ordinary dots are not', () => {
  for (const uri of [
    'memo://public/../private/plan',
    'file:///srv/./x',
    'file:///srv/%2e%2e/etc/passwd',
    'file:///srv/%2E%2E%2Fetc',
    'file:///srv/%252e%252e/etc',
    'file:///srv\\..\\etc',
    'memo://public/..',
  ])
    assert.equal(hasDotSegments(uri), true, uri);
  for (const uri of [
    'memo://public/readme',
    'file:///srv/a.b/c..d',
    'file:///srv/.hidden',
    'memory://knowledge-graph',
  ])
    assert.equal(hasDotSegments(uri), false, uri);
});
