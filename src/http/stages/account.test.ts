import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../../config/schema.ts';
import type { TokenBudgets } from '../../quota/token-budget.ts';
import type { RequestContext } from '../context.ts';
import { createAccountStage } from './account.ts';
import { createQuotaStage } from './quota.ts';

/** A budget store with 3 tokens left today that counts how often it is read. */
function threeLeft() {
  let reads = 0;
  const budgets = {
    remaining: async () => {
      reads++;
      return 3;
    },
    commit: async () => {},
    secondsUntilReset: () => 60,
    flush: async () => {},
  } as unknown as TokenBudgets;
  return { budgets, reads: () => reads };
}

const quotas = configSchema.parse({
  version: 1,
  dataDir: '.',
  listeners: { client: { port: 1 } },
  quotas: { perKey: { tokensPerDay: 1000 } },
}).quotas;

const request = () =>
  ({
    principal: { credentialId: 'key-1' },
    model: { alias: 'm' },
    trail: [],
    cleanups: [],
    chunkHooks: [],
    usage: { promptTokens: 0, completionTokens: 0 },
  }) as unknown as RequestContext;

const chunk = () => ({ choices: [{ delta: { content: 'x' } }] });

test('account: meters the stream against the budget quota read, without a second store read', async () => {
  const b = threeLeft();
  const quota = createQuotaStage({ quotas, budgets: b.budgets });
  const account = createAccountStage({ budgets: b.budgets, budgetScopes: quota.budgetScopes });
  const ctx = request();
  await quota.run(ctx);
  await account.run(ctx);
  assert.equal(b.reads(), 1);
  const hook = ctx.chunkHooks[0]!;
  for (let i = 0; i < 3; i++) hook(chunk(), ctx);
  assert.throws(
    () => hook(chunk(), ctx),
    (e: { code?: string }) => e.code === 'token_budget_exceeded',
  );
  assert.equal(ctx.usage.completionTokens, 4);
});

test('account: without a quota reading it reads the budget itself', async () => {
  const b = threeLeft();
  const quota = createQuotaStage({ quotas, budgets: b.budgets });
  const account = createAccountStage({ budgets: b.budgets, budgetScopes: quota.budgetScopes });
  const ctx = request();
  await account.run(ctx);
  assert.equal(b.reads(), 1);
  const hook = ctx.chunkHooks[0]!;
  for (let i = 0; i < 3; i++) hook(chunk(), ctx);
  assert.throws(() => hook(chunk(), ctx));
});
