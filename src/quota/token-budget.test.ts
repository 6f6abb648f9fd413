import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UsageStore } from '../store/types.ts';
import { createTokenBudgets, utcDay } from './token-budget.ts';

function memoryUsage(): UsageStore & { rows: Map<string, number>; failing: boolean } {
  const rows = new Map<string, number>();
  const store = {
    rows,
    failing: false,
    async addTokenUsage(scope: string, day: string, tokens: number) {
      if (store.failing) throw new Error('store down');
      rows.set(`${scope}|${day}`, (rows.get(`${scope}|${day}`) ?? 0) + tokens);
    },
    async getTokenUsage(scope: string, day: string) {
      return rows.get(`${scope}|${day}`) ?? 0;
    },
  };
  return store;
}

const now = () => Date.UTC(2026, 10, 22, 12, 0, 0);
const scopes = [{ scope: 'key:a', perDay: 100 }];

test('token budgets: a commit counts at once, before the store has it', async () => {
  const store = memoryUsage();
  const budgets = createTokenBudgets({ store, now, flushIntervalMs: 60_000 });
  await budgets.commit(scopes, 30);
  assert.equal(store.rows.size, 0);
  assert.equal(await budgets.remaining(scopes), 70);
  await budgets.flush();
  assert.equal(store.rows.get('key:a|2026-11-22'), 30);
  assert.equal(await budgets.remaining(scopes), 70, 'not counted twice after the flush');
  await budgets.close();
});

test('token budgets: counts survive a store outage and are written when it returns', async () => {
  const store = memoryUsage();
  const budgets = createTokenBudgets({ store, now, flushIntervalMs: 60_000 });
  store.failing = true;
  await budgets.commit(scopes, 40);
  await budgets.flush();
  assert.equal(store.rows.size, 0);
  assert.equal(await budgets.remaining(scopes), 60, 'the failed write is still counted');
  store.failing = false;
  await budgets.close();
  assert.equal(store.rows.get('key:a|2026-11-22'), 40);
});

test('token budgets: reset is at the next UTC midnight', () => {
  const budgets = createTokenBudgets({ store: memoryUsage(), now });
  assert.equal(budgets.secondsUntilReset(), 12 * 3600);
  void budgets.close();
});

test('utcDay: the UTC date, switching exactly at midnight, also when time goes back', () => {
  const midnight = Date.UTC(2026, 10, 23);
  assert.equal(utcDay(midnight - 1), '2026-11-22');
  assert.equal(utcDay(midnight - 86_400_000), '2026-11-22');
  assert.equal(utcDay(midnight), '2026-11-23');
  assert.equal(utcDay(midnight + 86_399_999), '2026-11-23');
  assert.equal(utcDay(midnight - 1), '2026-11-22');
  assert.equal(utcDay(midnight - 86_400_001), '2026-11-21');
  assert.equal(utcDay(midnight + 86_400_000), '2026-11-24');
  assert.equal(utcDay(-1), '1969-12-31');
  assert.equal(utcDay(0), '1970-01-01');
  assert.throws(() => utcDay(Number.NaN), RangeError);
});
