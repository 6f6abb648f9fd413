import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AirlockError } from '../errors.ts';
import type { Operation, Principal, RequestContext } from '../http/context.ts';
import type { ResolvedModel } from '../inference/types.ts';
import { createPolicyAuthorizeStage, visibleModels } from './authorize-stage.ts';
import { createCedarDecisionPoint } from './cedar-decision-point.ts';
import { defaultPolicySource } from './compile.ts';
import type { DecisionPoint } from './types.ts';

const principal = (scopes: Principal['scopes'], kind: Principal['kind'] = 'client'): Principal => ({
  kind,
  id: 'test-app',
  credentialId: 'key_1',
  credentialPrefix: 'alk_x',
  expiresAt: new Date(Date.now() + 60_000),
  scopes,
});

function ctxFor(operation: Operation, p: Principal | undefined, alias?: string): RequestContext {
  return {
    requestId: 'req_1',
    trace: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: false },
    startedAt: 0,
    operation,
    clientAddress: '127.0.0.1',
    headers: {},
    body: {},
    stream: false,
    signal: new AbortController().signal,
    principal: p,
    model: alias
      ? ({ alias, endpoints: ['chat', 'completions', 'embeddings'], targets: [] } as ResolvedModel)
      : undefined,
    usage: { promptTokens: 0, completionTokens: 0 },
    trail: [],
    findings: [],
    cleanups: [],
    chunkHooks: [],
  };
}

const pdp = createCedarDecisionPoint({
  policies: `${defaultPolicySource().text}
@id("premium") @approval("ml-leads") permit (principal, action == Airlock::Action::"chat", resource == Airlock::Model::"premium");
@id("sensitive") @stepup("mfa") permit (principal, action == Airlock::Action::"chat", resource == Airlock::Model::"sensitive");`,
  version: 'v-test',
});
const stage = createPolicyAuthorizeStage({ pdp });

function refusal(ctx: RequestContext, s = stage): string {
  try {
    s.run(ctx);
  } catch (err) {
    assert.ok(err instanceof AirlockError);
    return err.code;
  }
  assert.fail('expected a refusal');
}

describe('policy authorize stage', () => {
  test('authorize: allow pushes the deciding policy ids on the trail', () => {
    const ctx = ctxFor('chat', principal({ models: ['gpt-test'], endpoints: ['*'] }), 'gpt-test');
    stage.run(ctx);
    assert.deepEqual(ctx.trail.at(-1), {
      stage: 'authorize',
      outcome: 'allow',
      detail: {
        version: 'v-test',
        policies: ['api-key.chat'],
        decision: 'allow',
        obligations: { approval: [], stepUp: [] },
      },
    });
  });

  test('authorize: a model the key can use in no way looks unknown (model_not_found)', () => {
    const ctx = ctxFor('chat', principal({ models: ['gpt-test'], endpoints: ['*'] }), 'other');
    assert.equal(refusal(ctx), 'model_not_found');
    assert.equal(ctx.trail.at(-1)?.outcome, 'deny');
    assert.equal(ctx.trail.at(-1)?.code, 'model_not_found');
  });

  test('authorize: a visible model on a refused endpoint is forbidden', () => {
    const ctx = ctxFor('embeddings', principal({ models: ['gpt-test'], endpoints: ['chat'] }), 'gpt-test');
    assert.equal(refusal(ctx), 'forbidden');
  });

  test('authorize: model list needs the models endpoint; no principal is forbidden', () => {
    stage.run(ctxFor('models', principal({ models: [], endpoints: ['models'] })));
    assert.equal(refusal(ctxFor('models', principal({ models: ['*'], endpoints: ['chat'] }))), 'forbidden');
    assert.equal(refusal(ctxFor('chat', undefined, 'gpt-test')), 'forbidden');
  });

  test('authorize: admin surface — admin keys pass, client keys get admin_forbidden', () => {
    const admin = createPolicyAuthorizeStage({ pdp, surface: 'admin' });
    admin.run(ctxFor('admin.keys.create', principal({ models: [], endpoints: [] }, 'admin')));
    assert.equal(
      refusal(ctxFor('admin.keys.list', principal({ models: ['*'], endpoints: ['*'] })), admin),
      'admin_forbidden',
    );
    assert.equal(
      refusal(ctxFor('admin.unknown.op', principal({ models: [], endpoints: [] }, 'admin')), admin),
      'admin_forbidden',
    );
  });

  test('authorize: needs-approval → approval_required, needs-step-up → step_up_required', () => {
    const p = principal({ models: [], endpoints: [] });
    const ctx = ctxFor('chat', p, 'premium');
    assert.equal(refusal(ctx), 'approval_required');
    assert.deepEqual(ctx.trail.at(-1)?.detail?.policies, ['premium']);
    assert.equal(refusal(ctxFor('chat', p, 'sensitive')), 'step_up_required');
  });

  test('authorize: an engine failure denies with policy_unavailable and is recorded (fail closed)', () => {
    const broken: DecisionPoint = {
      ...pdp,
      decide() {
        throw new Error('wasm trap: unreachable');
      },
    };
    const ctx = ctxFor('chat', principal({ models: ['*'], endpoints: ['*'] }), 'gpt-test');
    assert.equal(refusal(ctx, createPolicyAuthorizeStage({ pdp: broken })), 'policy_unavailable');
    assert.equal(ctx.trail.at(-1)?.outcome, 'error');
    assert.equal(ctx.trail.at(-1)?.code, 'policy_unavailable');
  });

  test('visibleModels: the model list shows only what the caller may use', () => {
    const ctx = ctxFor('models', principal({ models: ['b'], endpoints: ['*'] }));
    const models = ['a', 'b', 'c'].map((alias) => ({ alias }));
    assert.deepEqual(visibleModels(ctx, pdp, models), [{ alias: 'b' }]);
    assert.deepEqual(visibleModels(ctxFor('models', undefined), pdp, models), []);
  });
});
