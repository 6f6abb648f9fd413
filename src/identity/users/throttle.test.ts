import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lockedUntilAfter, retryAfterMs } from './throttle.ts';

const policy = { threshold: 3, baseMs: 1000, maxMs: 8000, resetAfterMs: 60_000 };

test('throttle: no lock under the threshold, then doubling up to the cap', () => {
  const now = 1_000_000;
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8].map((f) => lockedUntilAfter(f, now, policy) - (f < 3 ? 0 : now)),
    [0, 0, 1000, 2000, 4000, 8000, 8000, 8000],
  );
});

test('throttle: retryAfterMs counts down to zero', () => {
  const s = { failures: 3, lastFailureAt: 0, lockedUntil: 5000 };
  assert.equal(retryAfterMs(s, 1000), 4000);
  assert.equal(retryAfterMs(s, 5000), 0);
  assert.equal(retryAfterMs(undefined, 5000), 0);
});
