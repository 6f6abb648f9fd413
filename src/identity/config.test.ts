import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identityConfigSchema, parseDuration } from './config.ts';

test('identity config: defaults cap every credential kind', () => {
  const c = identityConfigSchema.parse({ jwt: { issuers: [{ issuer: 'https://idp', jwksFile: 'j.json' }] } });
  assert.equal(c.tokens.maxLifetime, '15m');
  assert.equal(c.jwt!.issuers[0]!.maxLifetime, '1h');
  assert.equal(c.jwt!.issuers[0]!.clockSkew, '60s');
  assert.equal(parseDuration(c.tokens.signingKeyRotation), 86_400_000);
});

test('identity config: ceilings, unknown fields and issuer clashes are errors', () => {
  const bad = [
    { tokens: { maxLifetime: '2d' } },
    { tokens: { maxLifetime: '0s' } },
    { jwt: { issuers: [{ issuer: 'https://idp', jwksFile: 'j', maxLifetime: '25h' }] } },
    { jwt: { issuers: [{ issuer: 'https://idp', jwksFile: 'j', surprise: 1 }] } },
    { jwt: { issuers: [{ issuer: 'https://idp', jwksUrl: 'http://idp/jwks' }] } },
    { audience: 'https://airlock', jwt: { issuers: [{ issuer: 'https://airlock', jwksFile: 'j' }] } },
    {
      mtls: {
        trustBundle: 'b',
        trustDomain: 'td',
        workloads: [{ id: 'spiffe://td/a', prefix: 'spiffe://td/' }],
      },
    },
  ];
  for (const b of bad) assert.equal(identityConfigSchema.safeParse(b).success, false, JSON.stringify(b));
});
