import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CircuitState, createCircuitBreaker } from './circuit-breaker.ts';

function breaker(failures = 3, cooldownMs = 1000) {
  const changes: string[] = [];
  const cb = createCircuitBreaker({
    failures,
    cooldownMs,
    onChange: (from: CircuitState, to: CircuitState) => changes.push(`${from}->${to}`),
  });
  return { cb, changes };
}

test('circuit: stays closed below the failure threshold; a success resets the count', () => {
  const { cb, changes } = breaker(3);
  cb.onFailure(0);
  cb.onFailure(0);
  cb.onSuccess(0);
  cb.onFailure(0);
  cb.onFailure(0);
  assert.equal(cb.state(0), 'closed');
  assert.equal(cb.tryAcquire(0), true);
  assert.deepEqual(changes, []);
});

test('circuit: opens after N consecutive failures and refuses requests during cooldown', () => {
  const { cb, changes } = breaker(3, 1000);
  for (let i = 0; i < 3; i++) cb.onFailure(100);
  assert.equal(cb.state(100), 'open');
  assert.equal(cb.tryAcquire(500), false);
  assert.equal(cb.retryInMs(600), 500);
  assert.deepEqual(changes, ['closed->open']);
});

test('circuit: after cooldown exactly one trial is admitted (half-open)', () => {
  const { cb, changes } = breaker(1, 1000);
  cb.onFailure(0);
  assert.equal(cb.tryAcquire(1000), true);
  assert.equal(cb.state(1000), 'half-open');
  assert.equal(cb.tryAcquire(1001), false, 'second caller waits for the trial');
  cb.onSuccess(1002);
  assert.equal(cb.state(1002), 'closed');
  assert.equal(cb.tryAcquire(1003), true);
  assert.deepEqual(changes, ['closed->open', 'open->half-open', 'half-open->closed']);
});

test('circuit: a failed trial re-opens for another full cooldown', () => {
  const { cb, changes } = breaker(2, 1000);
  cb.onFailure(0);
  cb.onFailure(0);
  assert.equal(cb.tryAcquire(1000), true);
  cb.onFailure(1500);
  assert.equal(cb.state(1500), 'open');
  assert.equal(cb.tryAcquire(2400), false);
  assert.equal(cb.tryAcquire(2500), true);
  assert.deepEqual(changes, ['closed->open', 'open->half-open', 'half-open->open', 'open->half-open']);
});

test('circuit: a released trial (client abort) lets the next caller try', () => {
  const { cb } = breaker(1, 10);
  cb.onFailure(0);
  assert.equal(cb.tryAcquire(10), true);
  cb.release();
  assert.equal(cb.tryAcquire(11), true);
});
