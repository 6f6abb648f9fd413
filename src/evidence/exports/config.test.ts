import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportsConfigSchema } from './config.ts';
import { createBoundedQueue } from './queue.ts';

test('config: defaults fill in; unknown fields and kinds are rejected', () => {
  const [j, s] = exportsConfigSchema.parse([
    { kind: 'jsonl' },
    { kind: 'syslog', transport: 'tcp', host: '127.0.0.1', port: 514 },
  ]);
  assert.equal(j?.kind === 'jsonl' && j.path, 'exports/audit.jsonl');
  assert.equal(s?.kind === 'syslog' && s.format, 'cef');
  assert.equal(exportsConfigSchema.safeParse([{ kind: 'jsonl', colour: 'red' }]).success, false);
  assert.equal(exportsConfigSchema.safeParse([{ kind: 'kafka' }]).success, false);
});

test('config: tls without ca is refused, cert without key is refused', () => {
  const tlsNoCa = exportsConfigSchema.safeParse([{ kind: 'syslog', host: 'siem', port: 6514 }]);
  assert.equal(tlsNoCa.success, false);
  assert.match(JSON.stringify(tlsNoCa.error?.issues), /ca/);
  const certOnly = exportsConfigSchema.safeParse([
    { kind: 'syslog', host: 'siem', port: 6514, ca: 'ca.pem', cert: 'c.pem' },
  ]);
  assert.equal(certOnly.success, false);
  assert.equal(
    exportsConfigSchema.safeParse([
      { kind: 'syslog', host: 'siem', port: 6514, ca: 'ca.pem', sdId: 'no spaces@1 ' },
    ]).success,
    false,
  );
});

test('queue: full queue drops the newest and counts; unshift keeps order within the bound', () => {
  const q = createBoundedQueue<number>(3);
  assert.equal(q.push(1) && q.push(2) && q.push(3), true);
  assert.equal(q.push(4), false);
  assert.equal(q.dropped, 1);
  const taken = q.take(2);
  assert.deepEqual(taken, [1, 2]);
  q.push(5);
  q.unshift(taken); // room for one of the two
  assert.equal(q.dropped, 2);
  assert.deepEqual(q.take(10), [1, 3, 5]);
});
