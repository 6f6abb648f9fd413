import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry } from '../types.ts';
import { createExportFanout } from './fanout.ts';
import type { AuditExporter } from './types.ts';

function collector(name: string, throws = false): AuditExporter & { seen: number[] } {
  const seen: number[] = [];
  return {
    name,
    seen,
    export(e) {
      if (throws) throw new Error('broken exporter');
      seen.push(e.index);
    },
    flush: async () => {},
    close: async () => {},
    health: () => ({ ok: true, dropped: 0, queued: 0, exported: seen.length }),
  };
}

const leaf = (index: number) =>
  JSON.stringify({
    detail: {},
    index,
    outcome: 'allow',
    time: '2025-01-01T00:00:00.000Z',
    type: 'usage',
    v: 1,
  });

test('fanout: every exporter gets every entry in order; a throwing exporter fails nothing', async () => {
  const a = collector('a');
  const bad = collector('bad', true);
  const b = collector('b');
  const f = createExportFanout([a, bad, b]);
  const entries = [0, 1, 2].map((index) => JSON.parse(leaf(index)) as AuditEntry);
  assert.doesNotThrow(() => f.committed(entries));
  assert.deepEqual(a.seen, [0, 1, 2]);
  assert.deepEqual(b.seen, [0, 1, 2]);
});

test('fanout: committedLeaves defers parsing off the caller, keeps order, counts bad leaves', async () => {
  const a = collector('a');
  const f = createExportFanout([a]);
  f.committedLeaves([leaf(0), leaf(1)]);
  f.committedLeaves(['{not json', leaf(2)]);
  assert.deepEqual(a.seen, [], 'nothing parsed on the commit path');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(a.seen, [0, 1, 2]);
  assert.equal(f.health()['a']?.dropped, 1);
  f.committedLeaves([leaf(3)]);
  await f.flush();
  assert.deepEqual(a.seen, [0, 1, 2, 3]);
});
