import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { parseConfig } from '../../config/load.ts';
import { compileDlp } from '../../dlp/live-dlp.ts';
import { createConfigChanges } from './config-changes.ts';
import { changedPaths, planConfigChange } from './config-plan.ts';
import type { VersionRecord } from './types.ts';

const base = {
  version: 1,
  dataDir: '.',
  listeners: { client: { host: '127.0.0.1', port: 8080 } },
  quotas: { perKey: { requestsPerMinute: 60 } },
};
const text = (doc: unknown) => stringify(doc);
const version = (n: number, doc: unknown): VersionRecord => ({
  kind: 'config',
  version: n,
  content: text(doc),
  sha256: 'x',
  changeId: `chg_${n}`,
  author: 'alice',
  approver: 'bob',
  appliedAt: 0,
});

describe('config plan: which changed fields are live and which need a restart', () => {
  test('changedPaths: leaves by path; lists that change length by the list', () => {
    assert.deepEqual(
      changedPaths(
        { a: { b: 1, c: [1, 2] }, d: 'x', 'odd key': 1 },
        { a: { b: 2, c: [1, 2, 3] }, d: 'x', 'odd key': 2 },
      ),
      ['a.b', 'a.c', '["odd key"]'],
    );
    assert.deepEqual(changedPaths({ m: [{ x: 1 }] }, { m: [{ x: 2 }] }), ['m[0].x']);
  });

  test('planConfigChange: quotas live; listeners restart; policy refused; defaults are no change', () => {
    const before = parseConfig(base);
    const after = parseConfig({
      ...base,
      listeners: { client: { host: '127.0.0.1', port: 9090 } },
      quotas: { perKey: { requestsPerMinute: 1 } },
      policy: { policies: 'forbid (principal, action, resource);' },
    });
    assert.deepEqual(planConfigChange(before, after), {
      live: ['quotas.perKey.requestsPerMinute'],
      restart: ['listeners.client.port'],
      refused: ['policy.policies'],
    });
    // Writing out a default is not a change.
    const explicit = parseConfig({ ...base, store: { driver: 'sqlite', path: 'airlock.db' } });
    assert.deepEqual(planConfigChange(before, explicit), { live: [], restart: [], refused: [] });
  });
});

describe('config changes on a running node', () => {
  const started = parseConfig(base);

  test('validate: bad YAML, a schema error and a policy change are refused with what to fix', () => {
    const c = createConfigChanges({ started });
    assert.throws(() => c.validate('version: 1\n  bad: [\n'), { code: 'invalid_request' });
    assert.throws(
      () => c.validate(text({ ...base, listeners: { client: { port: 'x' } } })),
      (err: Error) => {
        assert.equal((err as { code?: string }).code, 'invalid_request');
        assert.match(String((err as { publicDetail?: string }).publicDetail), /listeners\.client\.port/);
        return true;
      },
    );
    assert.throws(
      () => c.validate(text({ ...base, policy: { policies: 'forbid (principal, action, resource);' } })),
      (err: Error) =>
        /propose policies as a policy change/.test(String((err as { publicDetail?: string }).publicDetail)),
    );
    c.validate(text({ ...base, quotas: { perKey: { requestsPerMinute: 5 } } }));
  });

  test('validate: a live part that does not compile (a DLP rule) is refused at proposal time', () => {
    const c = createConfigChanges({ started });
    c.onCheck((next) => compileDlp(next.dlp));
    assert.throws(
      () => c.validate(text({ ...base, dlp: { rules: [{ id: 'broken', pattern: '(unclosed' }] } })),
      (err: Error) => {
        assert.equal((err as { code?: string }).code, 'invalid_request');
        assert.match(String((err as { publicDetail?: string }).publicDetail), /rule "broken"/);
        return true;
      },
    );
    c.validate(text({ ...base, dlp: { rules: [{ id: 'project', dictionary: ['bluebird'] }] } }));
    assert.deepEqual(
      planConfigChange(started, parseConfig({ ...base, dlp: { disable: ['email'] } })).live,
      ['dlp.disable'],
      'dlp is a live section',
    );
  });

  test('planConfigChange: models and upstreams live; an embedded upstream change waits for a restart', () => {
    const up = (name: string, port: number) => ({
      name,
      kind: 'openai',
      baseUrl: `http://127.0.0.1:${port}`,
    });
    const route = (alias: string, upstream: string) => ({ alias, targets: [{ upstream, model: 'm' }] });
    const before = parseConfig({ ...base, upstreams: [up('a', 1)], models: [route('x', 'a')] });
    const live = planConfigChange(
      before,
      parseConfig({
        ...base,
        upstreams: [up('a', 1), up('b', 2)],
        models: [route('x', 'a'), route('y', 'b')],
      }),
    );
    assert.deepEqual(live, { live: ['models', 'upstreams'], restart: [], refused: [] });
    const embedded = planConfigChange(
      before,
      parseConfig({
        ...base,
        upstreams: [up('a', 1), { name: 'w', kind: 'embedded', worker: { modelPath: 'm.gguf' } }],
        models: [route('x', 'a'), route('y', 'w')],
      }),
    );
    assert.deepEqual(embedded, { live: [], restart: ['models', 'upstreams'], refused: [] });
  });

  test('applied: live fields reach subscribers at once; restart fields are pending until reverted', () => {
    const events: string[] = [];
    const c = createConfigChanges({ started, onEvent: (e) => events.push(`${e.type}:${e.paths.join(',')}`) });
    const seen: (number | undefined)[] = [];
    c.onLive((next) => seen.push(next.quotas.perKey.requestsPerMinute));
    assert.deepEqual(seen, [], 'nothing approved yet: nothing replayed');
    assert.deepEqual(c.readiness(), {});

    const v2 = c.applied(
      version(2, {
        ...base,
        listeners: { client: { host: '127.0.0.1', port: 9090 } },
        quotas: { perKey: { requestsPerMinute: 1 } },
      }),
    );
    assert.deepEqual(v2, {
      live: ['quotas.perKey.requestsPerMinute'],
      restartRequired: true,
      restart: ['listeners.client.port'],
    });
    assert.equal(seen.at(-1), 1);
    assert.deepEqual(c.pendingRestart(), { version: 2, paths: ['listeners.client.port'] });
    assert.equal(c.readiness().config?.ok, true);
    assert.match(
      String(c.readiness().config?.reason),
      /restart pending: approved config v2 changes listeners\.client\.port/,
    );

    // A later change with the old port clears the pending restart; unchanged quotas are not re-applied.
    const v3 = c.applied(version(3, { ...base, quotas: { perKey: { requestsPerMinute: 1 } } }));
    assert.deepEqual(v3, { live: [], restartRequired: false, restart: [] });
    assert.equal(seen.length, 1);
    assert.equal(c.pendingRestart(), undefined);
    assert.deepEqual(events, [
      'config.live_applied:quotas.perKey.requestsPerMinute',
      'config.restart_pending:listeners.client.port',
    ]);

    // A part that subscribes later (built after start-up found an approved config) gets it at once.
    const late: number[] = [];
    c.onLive((next) => late.push(next.quotas.perKey.requestsPerMinute ?? 0));
    assert.deepEqual(late, [1]);
  });

  test('unrecorded: a file edited outside the flow is reported on /readyz and audited, not overridden', () => {
    const events: string[] = [];
    const c = createConfigChanges({ started, onEvent: (e) => events.push(e.type) });
    const seen: unknown[] = [];
    c.onLive((next) => seen.push(next));
    c.unrecorded(version(4, { ...base, quotas: { perKey: { requestsPerMinute: 1 } } }));
    assert.deepEqual(seen, [], 'the approved v4 is not applied over the operator’s file');
    assert.equal(c.pendingRestart(), undefined);
    assert.match(String(c.readiness().config?.reason), /not an approved version \(latest v4\)/);
    assert.deepEqual(events, ['config.file_unrecorded']);
  });
});
