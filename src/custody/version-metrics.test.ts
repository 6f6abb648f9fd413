import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { UpstreamAdapter, UpstreamCall, UpstreamResult } from '../inference/types.ts';
import { UpstreamError } from '../inference/upstream-error.ts';
import { measureAdapter } from './measured-adapter.ts';
import { createVersionMetrics } from './version-metrics.ts';
import { hourOf, openSqliteVersionStats } from './version-stats-sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-vmetrics-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const v = (id: string) => ({ id, digest: id.padEnd(64, '0').slice(0, 64) });
const ok = (id: string | undefined, extra: object = {}) => ({
  version: id === undefined ? undefined : v(id),
  ok: true,
  completionTokens: 10,
  decodeTokens: 9,
  decodeMs: 90,
  ...extra,
});

describe('per-version metrics', () => {
  it('bounded label cardinality: the first N versions, then "other"; outside the inventory "unverified"', async () => {
    const registry = new Registry();
    const m = createVersionMetrics({ registry, maxVersions: 2 });
    for (const id of ['a@1', 'b@1', 'c@1', 'a@1', undefined]) m.observe(ok(id));
    const text = await registry.metrics();
    assert.match(text, /airlock_model_version_requests_total\{version="a@1",outcome="ok"\} 2/);
    assert.match(text, /airlock_model_version_requests_total\{version="b@1",outcome="ok"\} 1/);
    assert.match(text, /airlock_model_version_requests_total\{version="other",outcome="ok"\} 1/);
    assert.match(text, /airlock_model_version_requests_total\{version="unverified",outcome="ok"\} 1/);
    assert.doesNotMatch(text, /c@1/);
    m.close();
  });

  it('hourly aggregates: merged across flushes, split at the hour, read back since an hour', () => {
    const path = join(dir, `s${n++}.db`);
    const store = openSqliteVersionStats(path);
    let t = Date.parse('2026-11-22T05:59:00Z');
    const m = createVersionMetrics({ registry: new Registry(), store, now: () => t });
    m.observe(ok('a@1', { ttftMs: 40 }));
    m.flush();
    m.observe(ok('a@1', { ttftMs: 60, ok: false }));
    t = Date.parse('2026-11-22T06:01:00Z'); // the next sample belongs to the next hour
    m.observe(ok('a@1', { ttftMs: 400 }));
    m.close();
    const all = store.read('a@1', hourOf(Date.parse('2026-11-22T05:00:00Z')))!;
    assert.equal(all.requests, 3);
    assert.equal(all.errors, 1);
    assert.equal(all.ttftCount, 3);
    assert.equal(all.ttftMsSum, 500);
    assert.equal(all.decodeTokens, 27);
    assert.deepEqual(all.ttftBuckets.slice(0, 5), [0, 1, 1, 0, 1]);
    const last = store.read('a@1', hourOf(Date.parse('2026-11-22T06:00:00Z')))!;
    assert.equal(last.requests, 1, 'the 06:00 hour holds only its own sample');
    assert.equal(store.read('b@1', hourOf(0)), undefined);
    store.close();
  });
});

describe('measured adapter', () => {
  const call = (signal = new AbortController().signal): UpstreamCall => ({
    endpoint: 'chat',
    body: { model: 'm' },
    stream: true,
    headers: {},
    signal,
  });
  function adapter(impl: (c: UpstreamCall) => Promise<UpstreamResult>): UpstreamAdapter {
    return { name: 'up', kind: 'openai', call: impl, checkHealth: async () => true, close: async () => {} };
  }
  async function* chunks(parts: Record<string, unknown>[]) {
    yield* parts;
  }

  it('stream: time to first content chunk, tokens from usage, attributed to the serving version', async () => {
    const samples: unknown[] = [];
    let t = 0;
    const a = measureAdapter(
      adapter(async () => ({
        kind: 'stream',
        status: 200,
        chunks: (async function* () {
          t = 100;
          yield { choices: [{ delta: { role: 'assistant' } }] };
          t = 150;
          yield { choices: [{ delta: { content: 'he' } }] };
          t = 350;
          yield { choices: [{ delta: { content: 'llo' } }] };
          yield { choices: [], usage: { completion_tokens: 5 } };
        })(),
      })),
      {
        metrics: { observe: (s) => samples.push(s), flush() {}, close() {} },
        versionOf: (u, m) => (u === 'up' && m === 'm' ? v('m@1') : undefined),
        clock: () => t,
      },
    );
    const r = await a.call(call());
    assert.equal(r.kind, 'stream');
    for await (const _ of (r as Extract<UpstreamResult, { kind: 'stream' }>).chunks);
    assert.deepEqual(samples, [
      { version: v('m@1'), ok: true, ttftMs: 150, completionTokens: 5, decodeTokens: 4, decodeMs: 200 },
    ]);
  });

  it('an upstream fault is an error; a client abort is no sample', async () => {
    const samples: { ok: boolean }[] = [];
    const deps = {
      metrics: { observe: (s: { ok: boolean }) => samples.push(s), flush() {}, close() {} },
      versionOf: () => v('m@1'),
    };
    const failing = measureAdapter(
      adapter(async () => {
        throw new UpstreamError('upstream_error', {
          retryable: true,
          upstreamFault: true,
          upstreamStatus: 500,
        });
      }),
      deps,
    );
    await assert.rejects(failing.call(call()));
    assert.deepEqual(
      samples.map((s) => s.ok),
      [false],
    );
    const ac = new AbortController();
    const aborted = measureAdapter(
      adapter(async () => {
        ac.abort();
        throw new Error('aborted');
      }),
      deps,
    );
    await assert.rejects(aborted.call(call(ac.signal)));
    assert.equal(samples.length, 1);
    const stopped = measureAdapter(
      adapter(async () => ({
        kind: 'stream',
        status: 200,
        chunks: chunks([{ choices: [{ delta: { content: 'x' } }] }, {}]),
      })),
      deps,
    );
    const ac2 = new AbortController();
    const r = (await stopped.call(call(ac2.signal))) as Extract<UpstreamResult, { kind: 'stream' }>;
    for await (const _ of r.chunks) {
      ac2.abort();
      break;
    }
    assert.equal(samples.length, 1, 'a stream the client left is not a verdict on the model');
  });
});
