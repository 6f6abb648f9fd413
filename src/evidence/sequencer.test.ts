import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockError } from '../errors.ts';
import type { PendingEntry } from './entry.ts';
import type { CommitOutcome, CommitTarget } from './sequencer.ts';
import { createSequencer } from './sequencer.ts';

/** A commit target whose commits complete only when the test releases them. */
function gatedTarget(pipeline?: number) {
  const batches: number[] = [];
  const gates: (() => void)[] = [];
  let size = 0;
  let failNext = false;
  const target: CommitTarget = {
    ...(pipeline ? { pipeline } : {}),
    initialSize: 0,
    lastCheckpointSize: -1,
    async commit(batch: readonly PendingEntry[], withCheckpoint: boolean): Promise<CommitOutcome> {
      batches.push(batch.length);
      await new Promise<void>((r) => gates.push(r));
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('disk full\nstack detail'), { code: 'SQLITE_FULL' });
      }
      const first = size;
      size += batch.length;
      void withCheckpoint;
      return { first, size, checkpoint: null };
    },
    async probe() {},
  };
  // Release commits until several turns of the event loop pass with none waiting.
  const releaseAll = async () => {
    for (let idle = 0; idle < 10; idle++) {
      await tick();
      while (gates.length > 0) {
        gates.shift()!();
        idle = 0;
        await tick();
      }
    }
  };
  return { target, batches, gates, releaseAll, failOnce: () => (failNext = true) };
}
const tick = () => new Promise((r) => setImmediate(r));
const ev = { type: 'usage', outcome: 'info' } as const;
const opts = { maxBatch: 16, checkpointIntervalMs: 3_600_000, probeIntervalMs: 0 };

test('sequencer: appends arriving while a commit is in flight join the next batch, up to maxBatch', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  const first = s.append(ev);
  await tick();
  await tick();
  assert.deepEqual(g.batches, [1], 'the first append is committing alone');
  const rest = Array.from({ length: 40 }, () => s.append(ev));
  const all = Promise.all([first, ...rest]);
  await g.releaseAll();
  const indices = (await all).map((r) => r.index);
  assert.deepEqual(
    indices,
    Array.from({ length: 41 }, (_, i) => i),
  );
  assert.deepEqual(g.batches, [1, 16, 16, 8]);
});

test('sequencer: a failed commit rejects its batch and the queue with audit_unavailable; health says why in one line', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  g.failOnce();
  const a = s.append(ev);
  await tick();
  const b = s.append(ev);
  const settled = Promise.allSettled([a, b]);
  await g.releaseAll();
  for (const r of await settled) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof AirlockError && r.reason.code === 'audit_unavailable');
  }
  assert.deepEqual(s.health(), { ok: false, reason: 'SQLITE_FULL: disk full' });
  // The probe succeeds (probeIntervalMs 0), so the next append is accepted again.
  const c = s.append(ev);
  await g.releaseAll();
  assert.deepEqual(await c, { index: 0 });
  assert.equal(s.health().ok, true);
});

test('sequencer: appendMany keeps its events together and consecutive', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  const one = s.append(ev);
  const many = s.appendMany([ev, ev, ev]);
  const two = s.append(ev);
  const all = Promise.all([one, many, two]);
  await g.releaseAll();
  assert.deepEqual(await all, [{ index: 0 }, { first: 1, count: 3 }, { index: 4 }]);
});

test('sequencer: an idle log commits at once; appends in the same synchronous run share the batch', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  const a = s.append(ev);
  const b = s.append(ev);
  await Promise.resolve(); // one microtask, no turn of the event loop
  await Promise.resolve();
  assert.deepEqual(g.batches, [2]);
  await g.releaseAll();
  assert.deepEqual(await Promise.all([a, b]), [{ index: 0 }, { index: 1 }]);
});

test('sequencer: a pipelined target takes the next batch while one commits; indices follow call order', async () => {
  const g = gatedTarget(2);
  const s = createSequencer(g.target, opts);
  const a = s.append(ev);
  await tick();
  const b = s.append(ev);
  await tick();
  assert.deepEqual(g.batches, [1, 1], 'the second batch is handed over before the first settles');
  const c = s.append(ev);
  const d = s.append(ev);
  await tick();
  assert.deepEqual(g.batches, [1, 1], 'at most two in flight: the rest queue');
  await g.releaseAll();
  assert.deepEqual(await Promise.all([a, b, c, d]), [{ index: 0 }, { index: 1 }, { index: 2 }, { index: 3 }]);
  assert.deepEqual(g.batches, [1, 1, 2]);
});

test('sequencer: when a pipelined commit fails, the commit behind it is not acknowledged either (fail closed)', async () => {
  const g = gatedTarget(2);
  const s = createSequencer(g.target, opts);
  g.failOnce();
  const a = s.append(ev);
  await tick();
  const b = s.append(ev); // in flight behind the failing commit; the target itself would accept it
  await tick();
  const settled = Promise.allSettled([a, b]);
  await g.releaseAll();
  for (const r of await settled) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof AirlockError && r.reason.code === 'audit_unavailable');
  }
  assert.equal(s.health().ok, false);
});

// Held appends: a hold far longer than any test, so only company, a drain or a full batch can end it,
// unless the test is about the hold expiring (then a few ms, and the test just awaits the promise).
const LONG_HOLD = { holdMs: 900 };

test('sequencer: a held append starts no commit alone; the next append takes it into one batch, in call order', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  const held = s.append(ev, LONG_HOLD);
  await tick();
  await tick();
  assert.deepEqual(g.batches, [], 'the held entry waits for company');
  const next = s.append(ev);
  await g.releaseAll();
  assert.deepEqual(await Promise.all([held, next]), [{ index: 0 }, { index: 1 }]);
  assert.deepEqual(g.batches, [2], 'one commit for both');
});

test('sequencer: a lone held append commits when its hold expires, with no other traffic', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  const held = s.append(ev, { holdMs: 3 });
  // Release the commit as soon as the hold expires and hands it to the target.
  const releaser = (async () => {
    while (g.gates.length === 0) await new Promise((r) => setTimeout(r, 1));
    await g.releaseAll();
  })();
  assert.deepEqual(await held, { index: 0 });
  await releaser;
  assert.deepEqual(g.batches, [1]);
});

test('sequencer: a held append behind an in-flight commit still waits for company, then joins it', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  const a = s.append(ev);
  await tick();
  const held = s.append(ev, LONG_HOLD);
  g.gates.shift()!(); // the first commit settles: nothing released is queued, so no commit starts
  await tick();
  await tick();
  assert.deepEqual(g.batches, [1]);
  const c = s.append(ev);
  await g.releaseAll();
  assert.deepEqual(await Promise.all([a, held, c]), [{ index: 0 }, { index: 1 }, { index: 2 }]);
  assert.deepEqual(g.batches, [1, 2]);
});

test('sequencer: drain commits held entries without waiting out their hold', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  const held = [s.append(ev, LONG_HOLD), s.append(ev, LONG_HOLD)];
  const drained = s.drain();
  await g.releaseAll();
  assert.deepEqual(g.batches, [2], 'committed long before the hold would have expired');
  await drained;
  assert.deepEqual(await Promise.all(held), [{ index: 0 }, { index: 1 }]);
});

test('sequencer: a checkpoint request ends the hold and commits the held entry first', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  const held = s.append(ev, LONG_HOLD);
  const cp = s.publishCheckpoint().catch((e: unknown) => e);
  await g.releaseAll();
  assert.deepEqual(await held, { index: 0 });
  await cp; // the gated target signs no checkpoint; only the batching matters here
  assert.deepEqual(g.batches, [1]);
});

test('sequencer: a failed commit rejects the held entry that joined it with audit_unavailable', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  g.failOnce();
  const held = s.append(ev, LONG_HOLD);
  const next = s.append(ev);
  const settled = Promise.allSettled([held, next]);
  await g.releaseAll();
  for (const r of await settled) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof AirlockError && r.reason.code === 'audit_unavailable');
  }
  assert.deepEqual(g.batches, [2]);
});

test('sequencer: a held entry queued behind a failing commit is rejected, not left waiting', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, opts);
  g.failOnce();
  const a = s.append(ev);
  await tick();
  const held = s.append(ev, LONG_HOLD);
  const settled = Promise.allSettled([a, held]);
  await g.releaseAll();
  assert.deepEqual(
    (await settled).map((r) => r.status),
    ['rejected', 'rejected'],
  );
});

test('sequencer: held entries that fill a batch commit at once, maxBatch at a time, in call order', async () => {
  const g = gatedTarget();
  const s = createSequencer(g.target, { ...opts, maxBatch: 4 });
  const held = Array.from({ length: 6 }, () => s.append(ev, LONG_HOLD));
  await tick();
  await tick();
  assert.deepEqual(g.batches, [4], 'a full batch does not wait for company');
  const next = s.append(ev);
  await g.releaseAll();
  assert.deepEqual(
    (await Promise.all([...held, next])).map((r) => 'index' in r && r.index),
    [0, 1, 2, 3, 4, 5, 6],
  );
  assert.deepEqual(g.batches, [4, 3]);
});
