import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../../config/schema.ts';
import type { TokenBudgets } from '../../quota/token-budget.ts';
import type { RequestContext } from '../context.ts';
import { createQuotaStage } from './quota.ts';

// No token budgets in these rules: the budget store is never asked for more than "unlimited".
const budgets: TokenBudgets = {
  remaining: async () => Number.POSITIVE_INFINITY,
  commit: async () => {},
  secondsUntilReset: () => 0,
  flush: async () => {},
} as unknown as TokenBudgets;

const quotasOf = (quotas: unknown) =>
  configSchema.parse({ version: 1, dataDir: '.', listeners: { client: { port: 1 } }, quotas }).quotas;

function request(alias = 'm') {
  const cleanups: (() => void)[] = [];
  const ctx = {
    principal: { credentialId: 'key-1' },
    model: { alias },
    trail: [],
    cleanups,
  } as unknown as RequestContext;
  return {
    ctx,
    release: () => {
      for (const c of cleanups) c();
    },
  };
}

async function outcome(stage: ReturnType<typeof createQuotaStage>, alias?: string) {
  const r = request(alias);
  try {
    await stage.run(r.ctx);
    return { code: 'ok', release: r.release };
  } catch (err) {
    return { code: (err as { code: string }).code, release: r.release };
  }
}

test('quota update: unchanged rules keep their state, changed ones start full, new rules apply at once', async () => {
  const T = 1_000_000;
  const stage = createQuotaStage({
    quotas: quotasOf({ perKey: { requestsPerMinute: 2 } }),
    budgets,
    now: () => T,
  });
  assert.equal((await outcome(stage)).code, 'ok');
  assert.equal((await outcome(stage)).code, 'ok');
  assert.equal((await outcome(stage)).code, 'rate_limited');

  // Same key rule, a new model rule: the key's bucket is still empty.
  stage.update(quotasOf({ perKey: { requestsPerMinute: 2 }, perModel: { m: { requestsPerMinute: 1 } } }));
  assert.equal((await outcome(stage)).code, 'rate_limited');

  // A changed key rule starts full; the model rule now limits model m.
  stage.update(quotasOf({ perKey: { requestsPerMinute: 5 }, perModel: { m: { requestsPerMinute: 1 } } }));
  assert.equal((await outcome(stage)).code, 'ok');
  assert.equal((await outcome(stage)).code, 'rate_limited');
  assert.equal((await outcome(stage, 'other')).code, 'ok');
});

test('quota update: requests in flight still count against a concurrency limit', async () => {
  const stage = createQuotaStage({ quotas: quotasOf({ perKey: { concurrency: 1 } }), budgets });
  const first = await outcome(stage);
  assert.equal(first.code, 'ok');
  stage.update(quotasOf({ perKey: { concurrency: 1, requestsPerMinute: 100 } }));
  assert.equal((await outcome(stage)).code, 'concurrency_limited');
  first.release();
  assert.equal((await outcome(stage)).code, 'ok');
});
