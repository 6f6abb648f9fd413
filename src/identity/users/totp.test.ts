import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base32Decode, base32Encode, hotp, otpauthUri, totp, totpStep, verifyTotp } from './totp.ts';

// RFC 6238 Appendix B: seeds are ASCII "1234567890" repeated to the hash's block size of key length.
const seeds = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
} as const;

const vectors: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

test('totp: RFC 6238 Appendix B vectors (SHA-1, SHA-256, SHA-512, 8 digits)', () => {
  for (const [t, sha1, sha256, sha512] of vectors) {
    assert.equal(totp(seeds.sha1, t * 1000, { digits: 8, algorithm: 'sha1' }), sha1, `sha1 @${t}`);
    assert.equal(totp(seeds.sha256, t * 1000, { digits: 8, algorithm: 'sha256' }), sha256, `sha256 @${t}`);
    assert.equal(totp(seeds.sha512, t * 1000, { digits: 8, algorithm: 'sha512' }), sha512, `sha512 @${t}`);
  }
});

test('hotp: RFC 4226 Appendix D vectors (SHA-1, 6 digits)', () => {
  const expected = [
    '755224',
    '287082',
    '359152',
    '969429',
    '338314',
    '254676',
    '287922',
    '162583',
    '399871',
    '520489',
  ];
  for (const [counter, code] of expected.entries()) assert.equal(hotp(seeds.sha1, counter), code);
});

test('verifyTotp: current step and ±1 step accepted, ±2 refused', () => {
  const now = 1_700_000_000_000;
  const step = totpStep(now);
  for (const d of [-1, 0, 1]) assert.equal(verifyTotp(seeds.sha1, hotp(seeds.sha1, step + d), now), step + d);
  for (const d of [-2, 2]) assert.equal(verifyTotp(seeds.sha1, hotp(seeds.sha1, step + d), now), undefined);
});

test('verifyTotp: a step at or before the last used one is a replay', () => {
  const now = 1_700_000_000_000;
  const step = totpStep(now);
  const code = hotp(seeds.sha1, step);
  assert.equal(verifyTotp(seeds.sha1, code, now, { lastUsedStep: step - 1 }), step);
  assert.equal(verifyTotp(seeds.sha1, code, now, { lastUsedStep: step }), undefined);
  assert.equal(verifyTotp(seeds.sha1, hotp(seeds.sha1, step - 1), now, { lastUsedStep: step }), undefined);
});

test('verifyTotp: malformed codes never match', () => {
  const now = 1_700_000_000_000;
  for (const code of ['', '12345', '1234567', 'abcdef', '１２３４５６', ' 123456']) {
    assert.equal(verifyTotp(seeds.sha1, code, now), undefined, JSON.stringify(code));
  }
});

test('base32: RFC 4648 §10 vectors and round trip', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ];
  for (const [plain, enc] of cases) {
    assert.equal(base32Encode(Buffer.from(plain)), enc);
    assert.equal(base32Decode(enc).toString(), plain);
  }
});

test('otpauthUri: issuer, account, base32 secret, SHA1/6/30', () => {
  const uri = new URL(otpauthUri({ issuer: 'airlock', account: 'alice@example', secret: seeds.sha1 }));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(decodeURIComponent(uri.pathname), '/airlock:alice@example');
  assert.equal(uri.searchParams.get('secret'), base32Encode(seeds.sha1));
  assert.equal(uri.searchParams.get('issuer'), 'airlock');
  assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
  assert.equal(uri.searchParams.get('digits'), '6');
  assert.equal(uri.searchParams.get('period'), '30');
});
