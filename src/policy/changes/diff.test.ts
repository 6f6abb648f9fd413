import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unifiedDiff } from './diff.ts';

test('diff: equal texts → empty', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb\n'), '');
});

test('diff: one changed line in the middle, three lines of context', () => {
  const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
  const b = ['1', '2', '3', '4', 'five', '6', '7', '8', '9'].join('\n');
  assert.equal(
    unifiedDiff(a, b, { from: 'v1', to: 'v2' }),
    '--- v1\n+++ v2\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n',
  );
});

test('diff: from empty → all added; to empty → all removed', () => {
  assert.equal(unifiedDiff('', 'x\ny\n'), '--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n');
  assert.equal(unifiedDiff('x\ny\n', ''), '--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n');
});

test('diff: distant changes make separate hunks', () => {
  const a = Array.from({ length: 20 }, (_, i) => `l${i}`);
  const b = [...a];
  b[1] = 'X';
  b[18] = 'Y';
  const d = unifiedDiff(a.join('\n'), b.join('\n'));
  assert.equal(d.match(/^@@/gm)?.length, 2);
  assert.match(d, /^-l1\n\+X$/m);
  assert.match(d, /^-l18\n\+Y$/m);
});
