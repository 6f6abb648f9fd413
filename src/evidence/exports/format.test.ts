import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry } from '../types.ts';
import { escapeCefHeader, escapeCefValue, toCef } from './cef.ts';
import { escapeSdValue, frameOctetCounted, headerField, rfc5424Timestamp, toRfc5424 } from './rfc5424.ts';

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  v: 1,
  index: 42,
  time: '2025-03-01T12:34:56.789Z',
  type: 'request.completed',
  outcome: 'deny',
  requestId: 'req-1',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  principal: { kind: 'client', id: 'team|a=b', credentialId: 'cred-1' },
  code: 'forbidden',
  detail: { operation: 'chat', note: 'line1\nline2 = x \\ y | z' },
  ...over,
});

const header = {
  facility: 'local0' as const,
  hostname: 'gw-1',
  appName: 'airlock',
  procId: '123',
  sdId: 'airlock@32473',
};

test('cef: header escapes backslash and pipe, drops newlines', () => {
  assert.equal(escapeCefHeader('a|b\\c\nd'), 'a\\|b\\\\c d');
});

test('cef: extension values escape backslash, equals and CR/LF', () => {
  assert.equal(escapeCefValue('a=b\\c\nd\re|f'), 'a\\=b\\\\c\\nd\\re|f');
});

test('cef: a deny entry → severity 6, standard keys, escaped detail', () => {
  const cef = toCef(entry(), '0.1.0');
  assert.ok(
    cef.startsWith('CEF:0|airlock|airlock|0.1.0|request.completed|Request completed: deny (forbidden)|6|'),
  );
  assert.match(cef, / externalId=42 /);
  assert.match(cef, /rt=1740832496789 /);
  assert.match(cef, / suser=team\|a\\=b /); // `|` is not escaped in extensions, `=` is
  assert.match(cef, / reason=forbidden /);
  assert.match(cef, / cs1Label=requestId cs1=req-1 /);
  assert.ok(!cef.includes('\n'), 'one line');
  // The detail JSON survives a round trip through CEF unescaping.
  const cs4 = /cs4=(.*)$/.exec(cef)![1]!;
  const unescaped = cs4.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  assert.deepEqual(JSON.parse(unescaped), entry().detail);
});

test('rfc5424: header fields are PRINTUSASCII with limits and NILVALUE', () => {
  assert.equal(headerField('gw 1\u00e9', 255), 'gw_1_');
  assert.equal(headerField('', 48), '-');
  assert.equal(headerField('x'.repeat(40), 32).length, 32);
});

test('rfc5424: SD-PARAM values escape ", \\ and ]', () => {
  assert.equal(escapeSdValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
});

test('rfc5424: timestamp kept when RFC 3339, normalised otherwise', () => {
  assert.equal(rfc5424Timestamp('2025-03-01T12:34:56.789Z'), '2025-03-01T12:34:56.789Z');
  assert.equal(rfc5424Timestamp('2025-03-01T12:34:56.789123456Z'), '2025-03-01T12:34:56.789Z');
  assert.equal(rfc5424Timestamp('nonsense'), '-');
});

test('rfc5424: PRI from facility and outcome, MSGID = type, structured data', () => {
  const msg = toRfc5424(entry({ requestId: 'r"]\\' }), header, 'MSG');
  // local0 (16) * 8 + warning (4) = 132
  assert.equal(
    msg,
    '<132>1 2025-03-01T12:34:56.789Z gw-1 airlock 123 request.completed ' +
      '[airlock@32473 index="42" requestId="r\\"\\]\\\\" traceId="4bf92f3577b34da6a3ce929d0e0e4736" outcome="deny" code="forbidden"] MSG',
  );
  assert.match(toRfc5424(entry({ outcome: 'allow', code: undefined }), header, 'x'), /^<134>1 /);
  assert.match(toRfc5424(entry({ outcome: 'error' }), { ...header, facility: 'authpriv' }, 'x'), /^<83>1 /);
});

test('rfc6587: octet counting uses the byte length', () => {
  const frame = frameOctetCounted('é€');
  assert.equal(frame.toString('utf8'), '5 é€');
});
