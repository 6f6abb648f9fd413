import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockError } from '../../errors.ts';
import { createSlotPool } from './slot-pool.ts';

test('slot pool: waiters are served in arrival order', async () => {
  const pool = createSlotPool(['a'], 10);
  const first = await pool.acquire();
  const order: string[] = [];
  const w1 = pool.acquire().then((s) => order.push(`1:${s}`));
  const w2 = pool.acquire().then((s) => order.push(`2:${s}`));
  assert.deepEqual(pool.stats(), { size: 1, busy: 1, queued: 2 });
  pool.release(first);
  await w1;
  pool.release('a');
  await w2;
  assert.deepEqual(order, ['1:a', '2:a']);
});

test('slot pool: full queue → gateway_overloaded', async () => {
  const pool = createSlotPool([1], 1);
  await pool.acquire();
  const queued = pool.acquire();
  await assert.rejects(pool.acquire(), (e) => e instanceof AirlockError && e.code === 'gateway_overloaded');
  pool.release(1);
  assert.equal(await queued, 1);
});

test('slot pool: an aborted waiter leaves the queue and never takes a slot', async () => {
  const pool = createSlotPool([1], 5);
  const held = await pool.acquire();
  const ac = new AbortController();
  const waiting = pool.acquire(ac.signal);
  ac.abort(new Error('client gone'));
  await assert.rejects(waiting, /client gone/);
  assert.equal(pool.stats().queued, 0);
  pool.release(held);
  assert.deepEqual(pool.stats(), { size: 1, busy: 0, queued: 0 });
});
