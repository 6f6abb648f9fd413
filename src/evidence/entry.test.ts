import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEntry, encodeEntry, hashBody, isoTime, prepareEntry } from './entry.ts';

const NOW = new Date('2026-01-02T03:04:05.678Z');

test('entry: leaf data is RFC 8785 canonical JSON with sorted keys and no whitespace', () => {
  const p = prepareEntry(
    {
      type: 'authz.decision',
      outcome: 'deny',
      requestId: 'req-1',
      principal: { kind: 'apikey', id: 'alice', credentialId: 'k1' },
      code: 'forbidden',
      detail: { z: 1, a: [true, null, 'é'], n: 1e21 },
    },
    NOW,
  );
  const data = encodeEntry(p, 7);
  const { entry, canonical } = decodeEntry(data);
  assert.equal(entry.index, 7);
  assert.ok(canonical);
  assert.equal(
    data.toString('utf8'),
    '{"code":"forbidden","detail":{"a":[true,null,"é"],"n":1e+21,"z":1},"index":7,"outcome":"deny",' +
      '"principal":{"credentialId":"k1","id":"alice","kind":"apikey"},"requestId":"req-1",' +
      '"time":"2026-01-02T03:04:05.678Z","type":"authz.decision","v":1}',
  );
});

test('entry: members absent from the event are absent from the leaf', () => {
  const data = encodeEntry(prepareEntry({ type: 'usage', outcome: 'info' }, NOW), 0);
  assert.equal(
    data.toString('utf8'),
    '{"detail":{},"index":0,"outcome":"info","time":"2026-01-02T03:04:05.678Z","type":"usage","v":1}',
  );
});

test('entry: non-canonical bytes are detected', () => {
  assert.equal(decodeEntry(Buffer.from('{"v":1, "index":0}')).canonical, false);
});

test('entry: malformed events are refused before they join a batch', () => {
  assert.throws(() => prepareEntry({ type: 'nope' as 'usage', outcome: 'info' }, NOW), TypeError);
  assert.throws(() => prepareEntry({ type: 'usage', outcome: 'maybe' as 'info' }, NOW), TypeError);
  assert.throws(() => prepareEntry({ type: 'usage', outcome: 'info', detail: { n: Number.NaN } }, NOW));
  assert.throws(() => prepareEntry({ type: 'usage', outcome: 'info', time: new Date('x') }, NOW), TypeError);
});

test('hashBody: HMAC-SHA-256 (RFC 4231 test case 2)', () => {
  assert.equal(
    hashBody(Buffer.from('Jefe'), 'what do ya want for nothing?'),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  );
});

test('isoTime: exactly toISOString, also within one second, across seconds, before 1970 and past 9999', () => {
  const times = [
    0, 1, 999, 1000, -1, -999, -1000, -1001, 1_763_800_000_000, 1_763_800_000_007, 1_763_800_000_070,
  ];
  times.push(
    1_763_800_000_700,
    1_763_800_001_000,
    253_402_300_799_999,
    253_402_300_800_000,
    8.64e15,
    -8.64e15,
  );
  let t = 1_763_800_000_000;
  for (let i = 0; i < 2000; i++) {
    t += (i * 389) % 701;
    times.push(t);
  }
  for (const ms of times) {
    const d = new Date(ms);
    assert.equal(isoTime(d), d.toISOString(), String(ms));
    assert.equal(isoTime(d), d.toISOString(), `${ms} again`);
  }
});
