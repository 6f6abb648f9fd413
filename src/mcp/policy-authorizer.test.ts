import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Principal, RequestContext } from '../http/context.ts';
import type { IdentityDetails } from '../identity/principal.ts';
import { createCedarDecisionPoint } from '../policy/cedar-decision-point.ts';
import { createPolicyToolAuthorizer } from './policy-authorizer.ts';

const POLICIES = `
@id("agents-for-analysts")
permit (principal is Airlock::Agent, action == Airlock::Action::"tools/call", resource is Airlock::Tool)
when { principal has onBehalfOf && principal.onBehalfOf in Airlock::Role::"analyst" && context has taskId };

@id("blocked-task")
forbid (principal is Airlock::Agent, action, resource is Airlock::Tool)
when { context has taskId && context.taskId == "task-blocked" };

@id("no-deletes")
forbid (principal, action, resource is Airlock::Tool) when { resource.name == "fx__delete" };

@id("deploy-needs-approval")
@approval("release")
permit (principal is Airlock::ServiceAccount, action == Airlock::Action::"tools/call", resource is Airlock::Tool)
when { resource.name == "fx__deploy" };
`;

const pdp = createCedarDecisionPoint({ policies: POLICIES, version: 'test', cacheSize: 100 });

function taskPrincipal(over: Partial<IdentityDetails> = {}): Principal {
  return {
    kind: 'client',
    id: 'alice',
    credentialId: 'jti-1',
    credentialPrefix: 'tt:jti-1',
    expiresAt: new Date(Date.now() + 60_000),
    scopes: { models: [], endpoints: [] },
    identity: {
      subjectKind: 'user',
      credentialKind: 'task-token',
      roles: ['analyst'],
      scope: [],
      act: { sub: 'agent-bot' },
      taskId: 'task-1',
      ...over,
    },
  };
}

const apiKey: Principal = {
  kind: 'client',
  id: 'app',
  credentialId: 'key-1',
  credentialPrefix: 'alk_app',
  expiresAt: new Date(Date.now() + 60_000),
  scopes: { models: [], endpoints: [] },
};

const ctxFor = (principal: Principal) =>
  ({ principal, clientAddress: '127.0.0.1', findings: [], trail: [] }) as unknown as RequestContext;

const call = (tool: string) => ({
  action: 'tools/call' as const,
  tool,
  server: 'fx',
  arguments: { text: 'x' },
});

describe('policy tool authorizer', () => {
  const authorize = createPolicyToolAuthorizer(pdp);

  test('task token: an Agent acting for a user in a role, with the task id in context → allow', async () => {
    const d = await authorize(ctxFor(taskPrincipal()), call('fx__echo'));
    assert.equal(d.kind, 'allow');
    assert.deepEqual(d.policies, ['agents-for-analysts']);
  });

  test('task token: the user’s role decides (onBehalfOf), not the agent’s', async () => {
    const d = await authorize(ctxFor(taskPrincipal({ roles: ['intern'] })), call('fx__echo'));
    assert.equal(d.kind, 'deny');
  });

  test('task token: a forbid on the task id applies', async () => {
    const d = await authorize(ctxFor(taskPrincipal({ taskId: 'task-blocked' })), call('fx__echo'));
    assert.equal(d.kind, 'deny');
    assert.deepEqual(d.policies, ['blocked-task']);
  });

  test('task token: tool scopes are a ceiling even where a policy permits', async () => {
    const p = taskPrincipal({ scope: ['tool:fx__echo'] });
    assert.equal((await authorize(ctxFor(p), call('fx__echo'))).kind, 'allow');
    assert.equal((await authorize(ctxFor(p), call('fx__add'))).kind, 'deny');
  });

  test('a covering tool scope is a permit, but never overrides a forbid', async () => {
    const p = taskPrincipal({ roles: [], scope: ['tool:fx__*'] });
    const echo = await authorize(ctxFor(p), call('fx__echo'));
    assert.equal(echo.kind, 'allow');
    assert.deepEqual(echo.policies, ['tool-scope']);
    assert.equal((await authorize(ctxFor(p), call('fx__delete'))).kind, 'deny');
  });

  test('an API key stays a ServiceAccount: @approval → needs-approval with its groups', async () => {
    const d = await authorize(ctxFor(apiKey), call('fx__deploy'));
    assert.equal(d.kind, 'needs-approval');
    assert.deepEqual(d.obligations?.approval, ['release']);
    assert.equal((await authorize(ctxFor(apiKey), call('fx__echo'))).kind, 'deny');
  });

  test('a granted approval in the context (from the obligations) turns it into an allow', async () => {
    const withApproval = createPolicyToolAuthorizer(pdp, {
      context: () => ({ approval: { id: 'apr_x', approvers: ['bob'], groups: ['release'] } }),
    });
    assert.equal((await withApproval(ctxFor(apiKey), call('fx__deploy'))).kind, 'allow');
  });
});
