// Last use of IdP subjects and mTLS workloads (issue 5) on both store drivers: batches are written in
// one transaction and converge whatever order replicas write them in; the write-behind recorder
// queues an identity at most once per interval, writes on its timer, keeps a failed batch for the
// next flush and writes what is queued on close.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createLastSeenRecorder,
  seenIdentityOf,
  trackLastSeen,
} from '../../src/identity/last-seen-recorder.ts';
import { type LastSeenStore, lastSeenStoreFor, type SeenUse } from '../../src/identity/last-seen-store.ts';
import type { Authenticator } from '../../src/identity/types.ts';
import { openSideConnection } from '../../src/secrets/side-connection.ts';
import { createHarness } from './vault-harness.ts';

const ALICE = { kind: 'jwt', issuer: 'https://idp.test', subject: 'alice' } as const;
const AGENT = {
  kind: 'spiffe',
  issuer: 'spiffe://corp.test',
  subject: 'spiffe://corp.test/ns/a/sa/agent',
} as const;

async function withStore(driver: 'sqlite' | 'postgres', fn: (store: LastSeenStore) => Promise<void>) {
  const h = await createHarness(driver);
  const conn = await openSideConnection(h.store, { dataDir: h.dataDir });
  try {
    await fn(lastSeenStoreFor(conn));
  } finally {
    await conn.close();
    await h.teardown();
  }
}

const use = (i: typeof ALICE | typeof AGENT, firstMs: number, lastMs = firstMs): SeenUse => ({
  ...i,
  firstMs,
  lastMs,
});

for (const driver of ['sqlite', 'postgres'] as const)
  describe(`identity last-seen on ${driver}`, () => {
    test('store: a batch upserts; last never moves back, first never forward (replicas in any order)', async () => {
      await withStore(driver, async (store) => {
        assert.deepEqual(await store.list(), []);
        await store.record([use(ALICE, 5000, 6000), use(AGENT, 7000)]);
        await store.record([use(ALICE, 4000, 5500)]); // an older batch from a slower replica
        await store.record([use(ALICE, 9000)]);
        assert.deepEqual(
          (await store.list()).map((r) => [r.kind, r.issuer, r.subject, +r.firstSeenAt, +r.lastSeenAt]),
          [
            ['jwt', ALICE.issuer, 'alice', 4000, 9000],
            ['spiffe', AGENT.issuer, AGENT.subject, 7000, 7000],
          ],
        );
      });
    });

    test('recorder: once per identity per interval; flush writes one batch; close writes the rest', async () => {
      await withStore(driver, async (real) => {
        let t = 1_000_000;
        const batches: number[] = [];
        const store: LastSeenStore = {
          record: (b) => {
            batches.push(b.length);
            return real.record(b);
          },
          list: () => real.list(),
        };
        const rec = createLastSeenRecorder(
          { minIntervalMs: 60_000, flushIntervalMs: 3_600_000 },
          { store, now: () => t },
        );
        for (let i = 0; i < 1000; i++) rec.seen(ALICE);
        rec.seen(AGENT);
        assert.deepEqual(batches, [], 'nothing is written on the request path');
        await rec.flush();
        assert.deepEqual(batches, [2]);
        t += 30_000;
        rec.seen(ALICE); // within the interval: not queued again
        await rec.flush();
        assert.deepEqual(batches, [2]);
        t += 31_000;
        rec.seen(ALICE);
        await rec.close(); // graceful shutdown: what is queued is written
        assert.deepEqual(batches, [2, 1]);
        const alice = (await real.list()).find((r) => r.subject === 'alice')!;
        assert.deepEqual([+alice.firstSeenAt, +alice.lastSeenAt], [1_000_000, 1_061_000]);
      });
    });
  });

test('recorder: a failed write is kept and written by the next flush; errors are reported, not thrown', async () => {
  await withStore('sqlite', async (real) => {
    let fail = true;
    const errors: unknown[] = [];
    const store: LastSeenStore = {
      record: async (b) => {
        if (fail) throw new Error('database is locked');
        return real.record(b);
      },
      list: () => real.list(),
    };
    const rec = createLastSeenRecorder(
      { flushIntervalMs: 3_600_000 },
      { store, onError: (e) => errors.push(e) },
    );
    rec.seen(ALICE);
    await rec.flush();
    assert.equal(errors.length, 1);
    assert.deepEqual(await real.list(), []);
    fail = false;
    await rec.close();
    assert.deepEqual(
      (await real.list()).map((r) => r.subject),
      ['alice'],
    );
  });
});

test('recorder: the timer flushes without anyone asking; a full queue flushes early', async () => {
  await withStore('sqlite', async (real) => {
    let written: (n: number) => void = () => {};
    const store: LastSeenStore = {
      record: async (b) => {
        await real.record(b);
        written(b.length);
      },
      list: () => real.list(),
    };
    const timed = createLastSeenRecorder({ flushIntervalMs: 5 }, { store });
    const byTimer = new Promise<number>((r) => {
      written = r;
    });
    timed.seen(ALICE);
    assert.equal(await byTimer, 1);
    await timed.close();

    const full = createLastSeenRecorder({ flushIntervalMs: 3_600_000, maxPending: 2 }, { store });
    const early = new Promise<number>((r) => {
      written = r;
    });
    full.seen({ ...ALICE, subject: 'bob' });
    full.seen({ ...ALICE, subject: 'carol' });
    assert.equal(await early, 2);
    await full.close();
  });
});

test('tracking: JWT subjects and workloads are recorded; API keys and task tokens are not', async () => {
  const seen: string[] = [];
  const rec = {
    seen: (i: { subject: string }) => seen.push(i.subject),
    flush: async () => {},
    close: async () => {},
  };
  const principal = (credentialKind: string, extra: object = {}) => ({
    kind: 'client' as const,
    id: `${credentialKind}-owner`,
    credentialId: 'c',
    credentialPrefix: 'p',
    expiresAt: new Date(0),
    scopes: { models: [], endpoints: [] },
    identity: {
      subjectKind: 'user',
      credentialKind,
      roles: [],
      scope: [],
      issuer: 'https://idp.test',
      ...extra,
    },
  });
  const auth = (p: object | undefined): Authenticator => ({
    id: 'x',
    authenticate: async () =>
      p ? { kind: 'authenticated', principal: p as never } : { kind: 'reject', code: 'invalid_token' },
  });
  const req = { headers: {}, surface: 'client' as const };
  await trackLastSeen(auth(principal('jwt')), rec).authenticate(req);
  await trackLastSeen(auth(principal('mtls', { spiffeId: AGENT.subject })), rec).authenticate(req);
  await trackLastSeen(auth(principal('task-token')), rec).authenticate(req);
  await trackLastSeen(auth(undefined), rec).authenticate(req);
  assert.deepEqual(seen, ['jwt-owner', AGENT.subject]);
  assert.equal(seenIdentityOf({ ...principal('jwt'), identity: undefined } as never), undefined);
});
