import assert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { test } from 'node:test';
import { decodeBase64urlStrict, parseCompactJws, verifyJwsSignature } from './jws-compact.ts';

// RFC 7515 Appendix A.1: the HS256 example (its header has CR LF inside the JSON).
const A1 =
  'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const A1_KEY = createSecretKey(
  Buffer.from(
    'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow',
    'base64url',
  ),
);

test('parse + verify: RFC 7515 A.1 known answer', () => {
  const jws = parseCompactJws(A1);
  assert.ok(jws);
  assert.deepEqual(jws.header, { typ: 'JWT', alg: 'HS256' });
  assert.equal(jws.payload.iss, 'joe');
  assert.equal(verifyJwsSignature('HS256', A1_KEY, jws.signingInput, jws.signature), true);
  const tampered = Buffer.from(jws.signature);
  tampered[0]! ^= 1;
  assert.equal(verifyJwsSignature('HS256', A1_KEY, jws.signingInput, tampered), false);
  assert.equal(verifyJwsSignature('none', A1_KEY, jws.signingInput, Buffer.alloc(0)), false);
});

test('base64url: strict — no padding, no other alphabet, no non-zero unused bits', () => {
  assert.deepEqual(decodeBase64urlStrict('AQ'), Buffer.from([1]));
  assert.deepEqual(decodeBase64urlStrict('AQI'), Buffer.from([1, 2]));
  assert.equal(decodeBase64urlStrict('AR'), undefined); // same byte as AQ, second spelling
  assert.equal(decodeBase64urlStrict('AQJ'), undefined);
  assert.equal(decodeBase64urlStrict('AQ=='), undefined);
  assert.equal(decodeBase64urlStrict('A+/Q'), undefined);
  assert.equal(decodeBase64urlStrict('AQIDB'), undefined); // 5 chars cannot encode whole bytes
  assert.equal(decodeBase64urlStrict('A Q'), undefined);
});

test('parse: exactly three segments, JSON objects in strict UTF-8', () => {
  assert.equal(parseCompactJws(`${A1}.x`), undefined);
  assert.equal(parseCompactJws(A1.split('.').slice(0, 2).join('.')), undefined);
  const [, p, s] = A1.split('.');
  const h = (v: string | Buffer) => Buffer.from(v).toString('base64url');
  assert.equal(parseCompactJws(`${h('[1]')}.${p}.${s}`), undefined);
  assert.equal(parseCompactJws(`${h('null')}.${p}.${s}`), undefined);
  assert.equal(parseCompactJws(`${h(Buffer.from([0x7b, 0xff, 0x7d]))}.${p}.${s}`), undefined);
  assert.ok(parseCompactJws(`${h('{}')}.${p}.`));
});
