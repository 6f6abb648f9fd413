// Attack suite for IdP JWT verification: every forged, stale or over-long token is refused with a
// stable code (invalid_token / expired_token) and nothing more; the reason goes to the trail only.
import assert from 'node:assert/strict';
import { createHmac, sign } from 'node:crypto';
import { test } from 'node:test';
import { AirlockError, errorCatalogue } from '../../src/errors.ts';
import { createJwtAuthenticator } from '../../src/identity/jwt-authenticator.ts';
import type { RejectEvent } from '../../src/identity/jwt-common.ts';
import type { IdentityPrincipal } from '../../src/identity/principal.ts';
import type { AuthResult } from '../../src/identity/types.ts';
import {
  AUDIENCE,
  b64,
  bearer,
  ISSUER,
  idpKeys,
  idpToken,
  issuerConfig,
  jwksOf,
  NOW,
  nowSec,
  writeJwksFile,
} from './identity-fixtures.ts';

const keys = idpKeys();
const jwksFile = writeJwksFile(jwksOf([keys.rsa, keys.ec, keys.ed]));

function setup(over: Record<string, unknown> = {}, deps: { resolveSecret?: (r: string) => string } = {}) {
  const rejects: RejectEvent[] = [];
  const auth = createJwtAuthenticator(
    { audience: AUDIENCE, issuers: [issuerConfig({ jwksFile, ...over })] },
    { now: () => NOW, onReject: (e) => rejects.push(e), ...deps },
  );
  return { auth, rejects };
}

async function expectReject(token: string, code: string, reason: string, over: Record<string, unknown> = {}) {
  const { auth, rejects } = setup(over);
  const r = await auth.authenticate(bearer(token));
  assert.equal(r.kind, 'reject', `expected reject for ${reason}`);
  assert.equal((r as Extract<AuthResult, { kind: 'reject' }>).code, code);
  // The result carries the code and a fingerprint handle — never which check failed.
  assert.deepEqual(Object.keys(r).sort(), ['code', 'credentialPrefix', 'kind'].filter((k) => k in r).sort());
  if ('credentialPrefix' in r && r.credentialPrefix) assert.match(r.credentialPrefix, /^jwt:[0-9a-f]{16}$/);
  assert.equal(rejects[0]?.reason, reason);
  // What a client would see is the catalogue's fixed message.
  assert.equal(new AirlockError(r.code as never).message, errorCatalogue[code as 'invalid_token'].message);
}

function rawToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer: (d: Buffer) => Buffer,
) {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
}

const validClaims = {
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'alice',
  iat: nowSec,
  exp: nowSec + 600,
};

test('jwt: valid RS256, PS256, ES256 and EdDSA tokens → authenticated with mapped claims', async () => {
  const { auth } = setup();
  for (const key of [keys.rsa, keys.ps, keys.ec, keys.ed]) {
    const r = await auth.authenticate(bearer(await idpToken({ key, claims: { airlock_kind: 'agent' } })));
    assert.equal(r.kind, 'authenticated', key.alg);
    const p = (r as Extract<AuthResult, { kind: 'authenticated' }>).principal as IdentityPrincipal;
    assert.equal(p.kind, 'client');
    assert.equal(p.id, 'alice');
    assert.equal(p.expiresAt.getTime(), (nowSec + 600) * 1000);
    assert.deepEqual(p.scopes, { models: ['*'], endpoints: ['chat'] });
    assert.deepEqual(p.identity.roles, ['analyst']);
    assert.equal(p.identity.tenant, 'acme');
    assert.equal(p.identity.subjectKind, 'agent');
    assert.equal(p.identity.credentialKind, 'jwt');
  }
});

test('jwt: no bearer, an API key or an opaque token → abstain', async () => {
  const { auth } = setup();
  assert.deepEqual(await auth.authenticate({ headers: {}, surface: 'client' }), { kind: 'abstain' });
  assert.deepEqual(await auth.authenticate(bearer(`alk_${'a'.repeat(43)}`)), { kind: 'abstain' });
  assert.deepEqual(await auth.authenticate(bearer('opaque-token-value')), { kind: 'abstain' });
  assert.deepEqual(
    await auth.authenticate({ headers: { 'x-api-key': await idpToken() }, surface: 'client' }),
    {
      kind: 'abstain',
    },
  );
});

test('jwt: alg none → invalid_token', async () => {
  await expectReject(
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64(validClaims)}.`,
    'invalid_token',
    'alg_not_allowed',
  );
});

test('jwt: alg confusion — HS256 signed with the RSA public key PEM → invalid_token', async () => {
  const pem = keys.rsa.publicKey.export({ format: 'pem', type: 'spki' });
  const token = rawToken({ alg: 'HS256', kid: 'rsa-1' }, validClaims, (d) =>
    createHmac('sha256', pem).update(d).digest(),
  );
  await expectReject(token, 'invalid_token', 'alg_not_allowed');
  // Even with HMAC enabled the configured secret is the only HMAC key: the PEM never is.
  const { auth, rejects } = setup({ hmacSecret: 'secret:IDP_HMAC' }, { resolveSecret: () => 's'.repeat(40) });
  const r = await auth.authenticate(bearer(token));
  assert.equal(r.kind, 'reject');
  assert.equal(rejects[0]?.reason, 'bad_signature');
  const good = rawToken({ alg: 'HS256' }, validClaims, (d) =>
    createHmac('sha256', 's'.repeat(40)).update(d).digest(),
  );
  assert.equal((await auth.authenticate(bearer(good))).kind, 'authenticated');
});

test('jwt: hmacSecret shorter than 32 bytes stops start-up', () => {
  assert.throws(
    () => setup({ hmacSecret: 'secret:X' }, { resolveSecret: () => 'short' }),
    (e: AirlockError) => e.code === 'config_invalid',
  );
});

test('jwt: expired beyond the skew → expired_token; within the skew → accepted', async () => {
  await expectReject(
    await idpToken({ claims: { exp: nowSec - 61, iat: nowSec - 600 } }),
    'expired_token',
    'expired',
  );
  const { auth } = setup();
  const r = await auth.authenticate(
    bearer(await idpToken({ claims: { exp: nowSec - 30, iat: nowSec - 600 } })),
  );
  assert.equal(r.kind, 'authenticated');
});

test('jwt: nbf in the future beyond the skew → invalid_token', async () => {
  await expectReject(await idpToken({ claims: { nbf: nowSec + 120 } }), 'invalid_token', 'not_yet_valid');
});

test('jwt: iat in the future beyond the skew → invalid_token', async () => {
  await expectReject(
    await idpToken({ claims: { iat: nowSec + 300, nbf: undefined, exp: nowSec + 600 } }),
    'invalid_token',
    'iat_in_future',
  );
});

test('jwt: wrong issuer, wrong audience → invalid_token', async () => {
  await expectReject(
    await idpToken({ claims: { iss: 'https://evil.example' } }),
    'invalid_token',
    'unknown_issuer',
  );
  await expectReject(
    await idpToken({ claims: { aud: 'https://other.internal' } }),
    'invalid_token',
    'wrong_audience',
  );
});

test('jwt: unknown kid → invalid_token', async () => {
  await expectReject(await idpToken({ header: { kid: 'rsa-99' } }), 'invalid_token', 'unknown_kid');
});

test('jwt: tampered payload → invalid_token', async () => {
  const [h, , s] = (await idpToken()).split('.');
  await expectReject(
    `${h}.${b64({ ...validClaims, sub: 'root', roles: ['admin'] })}.${s}`,
    'invalid_token',
    'bad_signature',
  );
});

test('jwt: no exp → invalid_token', async () => {
  await expectReject(await idpToken({ omit: ['exp'] }), 'invalid_token', 'missing_exp');
});

test('jwt: lifetime over the cap → invalid_token (with and without iat)', async () => {
  await expectReject(
    await idpToken({ claims: { exp: nowSec + 7200 } }),
    'invalid_token',
    'lifetime_over_cap',
  );
  await expectReject(
    await idpToken({ omit: ['iat'], claims: { exp: nowSec + 7200 } }),
    'invalid_token',
    'lifetime_over_cap',
  );
  await expectReject(
    await idpToken({ claims: { exp: nowSec + 1800 } }),
    'invalid_token',
    'lifetime_over_cap',
    {
      maxLifetime: '15m',
    },
  );
});

test('jwt: JWKS key of the wrong type for the alg → invalid_token', async () => {
  // An ES256 token naming the RSA key's kid; and an RS256 token naming the EC key.
  await expectReject(
    await idpToken({ key: keys.ec, header: { kid: 'rsa-1' } }),
    'invalid_token',
    'key_type_mismatch',
  );
  await expectReject(
    await idpToken({ key: keys.rsa, header: { kid: 'ec-1' } }),
    'invalid_token',
    'key_type_mismatch',
  );
  // A JWK pinned to another alg is not used for this one.
  const pinned = writeJwksFile({ keys: [{ ...jwksOf([keys.rsa]).keys[0], alg: 'PS256' }] });
  await expectReject(await idpToken({ key: keys.rsa }), 'invalid_token', 'key_type_mismatch', {
    jwksFile: pinned,
  });
});

test('jwt: algorithm outside the configured allowlist → invalid_token', async () => {
  await expectReject(await idpToken({ key: keys.ed }), 'invalid_token', 'alg_not_allowed', {
    algorithms: ['RS256'],
  });
});

test('jwt: crit header → invalid_token', async () => {
  const token = rawToken(
    { alg: 'RS256', kid: 'rsa-1', crit: ['exp-policy'], 'exp-policy': 1 },
    validClaims,
    (d) => sign('sha256', d, keys.rsa.privateKey),
  );
  await expectReject(token, 'invalid_token', 'crit_unsupported');
});

test('jwt: oversized token (> 8 KB) → invalid_token before any parsing', async () => {
  const token = await idpToken({ claims: { pad: 'x'.repeat(9000) } });
  assert.ok(token.length > 8192);
  const { auth, rejects } = setup();
  assert.deepEqual(await auth.authenticate(bearer(token)), { kind: 'reject', code: 'invalid_token' });
  assert.equal(rejects[0]?.reason, 'too_large');
});

test('jwt: malformed JWT-shaped garbage and bad claim types → invalid_token', async () => {
  await expectReject(`${b64({ alg: 'RS256' })}.bm90IGpzb24.sig`, 'invalid_token', 'malformed');
  await expectReject(await idpToken({ claims: { airlock_kind: 'root' } }), 'invalid_token', 'bad_claims');
  await expectReject(await idpToken({ claims: { roles: [1, 2] } }), 'invalid_token', 'bad_claims');
  await expectReject(await idpToken({ claims: { act: { sub: 7 } } }), 'invalid_token', 'bad_claims');
});

test('jwt: a JWKS file holding private key material stops start-up', () => {
  const leaked = writeJwksFile({
    keys: [{ ...(keys.ec.privateKey.export({ format: 'jwk' }) as object), kid: 'x' }],
  });
  assert.throws(
    () => setup({ jwksFile: leaked }),
    (e: AirlockError) => e.code === 'config_invalid',
  );
  const oct = writeJwksFile({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x' }] });
  assert.throws(
    () => setup({ jwksFile: oct }),
    (e: AirlockError) => e.code === 'config_invalid',
  );
});

test('jwt: admin role opens the admin surface only; others stay client', async () => {
  const { auth } = setup({ adminRoles: ['airlock-admin'] });
  const adminTok = await idpToken({ claims: { roles: ['airlock-admin'] } });
  const onAdmin = await auth.authenticate({ ...bearer(adminTok), surface: 'admin' });
  assert.equal(onAdmin.kind === 'authenticated' && onAdmin.principal.kind, 'admin');
  const onClient = await auth.authenticate(bearer(adminTok));
  assert.equal(onClient.kind === 'authenticated' && onClient.principal.kind, 'client');
  const user = await auth.authenticate({ ...bearer(await idpToken()), surface: 'admin' });
  assert.equal(user.kind === 'authenticated' && user.principal.kind, 'client');
});

test('config: clock skew over 5 minutes and an HMAC-less algorithm list with HS256 are refused', () => {
  assert.throws(() => issuerConfig({ jwksFile, clockSkew: '6m' }));
  assert.throws(() => issuerConfig({ jwksFile, algorithms: ['HS256'] as never }));
  assert.throws(() => issuerConfig({ jwksFile, algorithms: ['none'] as never }));
  assert.throws(() => issuerConfig({}));
});
