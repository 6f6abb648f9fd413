// IdP JWKS fetched over real HTTP on loopback through undici: first use, rotation on an unknown kid
// (rate-limited), oversized and failing responses.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createJwtAuthenticator } from '../../src/identity/jwt-authenticator.ts';
import type { RejectEvent } from '../../src/identity/jwt-common.ts';
import {
  AUDIENCE,
  bearer,
  idpKeys,
  idpToken,
  issuerConfig,
  jwksOf,
  NOW,
} from '../security/identity-fixtures.ts';

let server: Server;
let url: string;
let requests = 0;
let body = '';
let status = 200;

before(async () => {
  server = createServer((_req, res) => {
    requests++;
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function auth(clock: { t: number }, rejects: RejectEvent[] = []) {
  // The schema insists on https://; a loopback test server speaks plain HTTP.
  const issuer = { ...issuerConfig({ jwksUrl: 'https://placeholder.invalid/jwks' }), jwksUrl: url };
  return createJwtAuthenticator(
    { audience: AUDIENCE, issuers: [issuer] },
    { now: () => clock.t, onReject: (e) => rejects.push(e) },
  );
}

test('jwks url: fetched on first use, refreshed on a rotated kid at most once per interval', async () => {
  const { rsa, ec } = idpKeys();
  body = JSON.stringify(jwksOf([rsa]));
  status = 200;
  requests = 0;
  const clock = { t: NOW };
  const a = auth(clock);
  assert.equal((await a.authenticate(bearer(await idpToken({ key: rsa })))).kind, 'authenticated');
  assert.equal(requests, 1);
  // The IdP rotates to an EC key; within the refresh interval the new kid is unknown without a fetch.
  body = JSON.stringify(jwksOf([rsa, ec]));
  const ecToken = await idpToken({ key: ec });
  clock.t += 5_000;
  assert.equal((await a.authenticate(bearer(ecToken))).kind, 'reject');
  assert.equal(requests, 1);
  clock.t += 30_000;
  assert.equal((await a.authenticate(bearer(ecToken))).kind, 'authenticated');
  assert.equal(requests, 2);
});

test('jwks url: oversized or failing responses → tokens refused, nothing cached', async () => {
  const clock = { t: NOW };
  const rejects: RejectEvent[] = [];
  body = JSON.stringify({ keys: [], pad: 'x'.repeat(70 * 1024) });
  const a = auth(clock, rejects);
  assert.equal((await a.authenticate(bearer(await idpToken()))).kind, 'reject');
  assert.equal(rejects.at(-1)?.reason, 'jwks_unavailable');
  status = 500;
  body = '{}';
  clock.t += 60_000;
  assert.equal((await a.authenticate(bearer(await idpToken()))).kind, 'reject');
  assert.equal(rejects.at(-1)?.reason, 'jwks_unavailable');
});
