import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AirlockError } from '../errors.ts';
import { decide, resolveAction } from './actions.ts';
import { type DlpConfigInput, dlpConfigSchema } from './config.ts';
import { createDlpEngine } from './engine.ts';
import { type ActionScope, createActionResolver } from './overrides.ts';
import type { Finding } from './types.ts';

const email: Finding = {
  type: 'EMAIL',
  ruleId: 'email',
  category: 'pii',
  severity: 'medium',
  start: 0,
  end: 20,
  field: 'x',
};
const awsKey: Finding = { ...email, type: 'AWS_ACCESS_KEY', ruleId: 'aws-access-key', category: 'secret' };

const resolverFor = (input: DlpConfigInput) => createActionResolver(dlpConfigSchema.parse(input));
const api = { id: 'billing' };
const alice = { id: 'alice', identity: { subjectKind: 'user', roles: ['analyst'], tenant: 'finance' } };

describe('dlp overrides', () => {
  test('no config: the secure defaults on every route', () => {
    const r = resolverFor({});
    const { layers, override } = r.resolve({ route: '/mcp', principal: api });
    assert.equal(override, undefined);
    assert.equal(resolveAction(awsKey, 'input', layers), 'block');
    assert.equal(resolveAction(awsKey, 'output', layers), 'redact');
    assert.equal(resolveAction(email, 'input', layers), 'alert');
  });

  test('routes: exact or trailing-* prefix', () => {
    const r = resolverFor({
      overrides: [
        { match: { routes: ['/api/billing/*'] }, actions: { types: { EMAIL: { input: 'mask' } } } },
        { match: { routes: ['/mcp'] }, actions: { types: { EMAIL: { input: 'redact' } } } },
      ],
    });
    assert.equal(r.resolve({ route: '/api/billing/invoices/{id}' }).override, 0);
    assert.equal(r.resolve({ route: '/api/billingx' }).override, undefined);
    assert.equal(r.resolve({ route: '/mcp' }).override, 1);
    assert.equal(r.resolve({ route: '/mcp/x' }).override, undefined);
  });

  test('principals: kind:id (API keys are services), id:, role:, tenant:, *', () => {
    const cases: [string, ActionScope['principal'], boolean][] = [
      ['service:billing', api, true],
      ['user:billing', api, false],
      ['id:billing', api, true],
      ['user:alice', alice, true],
      ['user:al*', alice, true],
      ['service:alice', alice, false],
      ['role:analyst', alice, true],
      ['role:admin', alice, false],
      ['tenant:finance', alice, true],
      ['tenant:finance', api, false],
      ['*', api, true],
      ['*', undefined, false],
    ];
    for (const [pattern, principal, want] of cases) {
      const r = resolverFor({
        overrides: [{ match: { principals: [pattern] }, actions: { types: { EMAIL: { input: 'block' } } } }],
      });
      assert.equal(
        r.resolve({ route: '/mcp', ...(principal ? { principal } : {}) }).override === 0,
        want,
        `${pattern} vs ${principal?.id}`,
      );
    }
  });

  test('models: a request without a model never matches a models list; dimensions are ANDed', () => {
    const r = resolverFor({
      overrides: [
        {
          match: { models: ['demo*'], principals: ['service:billing'] },
          actions: { types: { EMAIL: { input: 'block' } } },
        },
      ],
    });
    assert.equal(r.resolve({ route: '/v1/chat/completions', principal: api, model: 'demo-7b' }).override, 0);
    assert.equal(
      r.resolve({ route: '/v1/chat/completions', principal: alice, model: 'demo' }).override,
      undefined,
    );
    assert.equal(r.resolve({ route: '/mcp', principal: api }).override, undefined);
  });

  test('first match wins; what it leaves out falls through to dlp.actions, then the defaults', () => {
    const r = resolverFor({
      actions: { types: { EMAIL: { output: 'redact' } }, categories: { pii: { input: 'redact' } } },
      overrides: [
        { match: { routes: ['/mcp'] }, actions: { categories: { pii: { input: 'mask' } } } },
        { match: { routes: ['/mcp'] }, actions: { categories: { pii: { input: 'block' } } } },
      ],
    });
    const { layers, override } = r.resolve({ route: '/mcp' });
    assert.equal(override, 0);
    // The override's category beats the global type entry for the same direction…
    assert.equal(resolveAction(email, 'input', layers), 'mask');
    // …and what it does not say comes from dlp.actions, then the defaults.
    assert.equal(resolveAction(email, 'output', layers), 'redact');
    assert.equal(resolveAction(awsKey, 'input', layers), 'block');
    const v = decide([email], 'input', layers);
    assert.equal(v.kind, 'redact');
    assert.equal(v.kind === 'redact' && v.redactions[0]?.mode, 'mask');
    // Without an override: dlp.actions.
    assert.equal(resolveAction(email, 'input', r.resolve({ route: '/v1/embeddings' }).layers), 'redact');
  });

  test('weakening credential blocking on input needs weakensCredentialBlocking: true', () => {
    const refused: DlpConfigInput[] = [
      {
        overrides: [
          { match: { routes: ['/mcp'] }, actions: { categories: { secret: { input: 'redact' } } } },
        ],
      },
      {
        overrides: [
          { match: { routes: ['/mcp'] }, actions: { types: { AWS_ACCESS_KEY: { input: 'alert' } } } },
        ],
      },
      { actions: { categories: { secret: { input: 'mask' } } } },
      { actions: { categories: { secret: { output: 'alert' } } } },
      { actions: { categories: { secret: { output: 'mask' } } } },
      {
        overrides: [
          { match: { routes: ['/mcp'] }, actions: { types: { AWS_ACCESS_KEY: { output: 'alert' } } } },
        ],
      },
    ];
    for (const config of refused)
      assert.throws(
        () => createDlpEngine(config),
        (e: unknown) =>
          e instanceof AirlockError &&
          e.code === 'config_invalid' &&
          /lets credentials reach models, tools or callers; add weakensCredentialBlocking: true/.test(
            e.detail ?? '',
          ),
      );
    // Written out explicitly: accepted. Stricter output (block) and non-credential changes never need it.
    createDlpEngine({
      overrides: [
        {
          match: { routes: ['/mcp'] },
          actions: { categories: { secret: { input: 'redact' } }, weakensCredentialBlocking: true },
        },
      ],
    });
    createDlpEngine({
      actions: { categories: { secret: { output: 'alert' } }, weakensCredentialBlocking: true },
    });
    createDlpEngine({ actions: { categories: { secret: { output: 'block' }, pii: { input: 'block' } } } });
  });

  test('config: a type no rule produces, a bad route or principal pattern are refused', () => {
    assert.throws(
      () => createDlpEngine({ actions: { types: { EMIAL: { input: 'block' } } } }),
      (e: unknown) => e instanceof AirlockError && /EMIAL/.test(e.detail ?? ''),
    );
    for (const match of [
      { routes: ['v1/chat'] },
      { routes: ['/a*b'] },
      { principals: ['team:x'] },
      { routes: [] },
    ])
      assert.equal(dlpConfigSchema.safeParse({ overrides: [{ match, actions: {} }] }).success, false);
  });
});
