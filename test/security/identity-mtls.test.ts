// mTLS/SPIFFE attack suite: real TLS 1.3 handshakes on loopback against the gateway's own listener
// builder, with a PKI generated in the test (openssl CLI).
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, test } from 'node:test';
import { buildListener, type Listener } from '../../src/http/server.ts';
import { identityConfigSchema } from '../../src/identity/config.ts';
import type { RejectEvent } from '../../src/identity/jwt-common.ts';
import { createMtlsAuthenticator } from '../../src/identity/mtls-authenticator.ts';
import { peerTlsOf } from '../../src/identity/peer-certificate.ts';
import type { IdentityPrincipal } from '../../src/identity/principal.ts';
import { createPki, hasOpenssl, type Issued } from './identity-fixtures.ts';

const TD = 'prod.example';
const skip = hasOpenssl() ? false : 'openssl CLI not available';
const limits = {
  bodyBytes: 1 << 20,
  headerBytes: 16 * 1024,
  requestTimeout: '10s',
  maxConcurrent: 16,
  maxMessages: 16,
};

let pki: ReturnType<typeof createPki>;
let caA: Issued;
let caB: Issued;
let caC: Issued;
let certs: Record<string, Issued & { chain?: string }>;
const listeners: Listener[] = [];
const rejects: RejectEvent[] = [];

function mtlsConfig() {
  return identityConfigSchema.parse({
    mtls: {
      trustBundle: pki.write('bundle.pem', caA.cert),
      trustDomain: TD,
      workloads: [
        {
          id: `spiffe://${TD}/ns/billing/sa/agent`,
          owner: 'billing-agent',
          kind: 'agent',
          roles: ['billing'],
          scopes: ['model:*', 'endpoint:chat'],
        },
        { prefix: `spiffe://${TD}/ns/batch/`, roles: ['batch'], tenant: 'acme' },
      ],
    },
  }).mtls!;
}

async function startServer(opts: {
  clientCa: string;
  requireClientCert: boolean;
  now?: () => number;
  listenerCaIsBundle?: boolean;
}) {
  const server = pki.leaf('server', caA, 'IP:127.0.0.1');
  const l = buildListener(
    {
      host: '127.0.0.1',
      port: 0,
      tls: {
        cert: server.certPath,
        key: server.keyPath,
        clientCa: opts.clientCa,
        requireClientCert: opts.requireClientCert,
      },
    },
    limits,
  );
  const mtls = createMtlsAuthenticator(mtlsConfig(), {
    onReject: (e) => rejects.push(e),
    listenerCaIsBundle: opts.listenerCaIsBundle ?? false,
    ...(opts.now ? { now: opts.now } : {}),
  });
  l.app.get('/whoami', async (req) => {
    const r = await mtls.authenticate({
      headers: req.headers,
      surface: 'client',
      peer: peerTlsOf(req.raw.socket),
    });
    if (r.kind !== 'authenticated') return r;
    const p = r.principal as IdentityPrincipal;
    return {
      kind: r.kind,
      id: p.id,
      spiffeId: p.identity.spiffeId,
      roles: p.identity.roles,
      subjectKind: p.identity.subjectKind,
    };
  });
  listeners.push(l);
  return new URL(await l.listen());
}

function call(url: URL, client?: Issued & { chain?: string }): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: '/whoami',
        ca: caA.cert,
        agent: false,
        ...(client ? { cert: client.chain ?? client.cert, key: client.key } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(JSON.parse(body)));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

before(() => {
  if (skip) return;
  pki = createPki();
  caA = pki.ca('ca-a');
  caB = pki.ca('ca-b');
  caC = pki.ca('ca-c');
  const inter = pki.intermediate('int-a', caA);
  certs = {
    billing: pki.leaf('billing', caA, `URI:spiffe://${TD}/ns/billing/sa/agent`),
    batch: { ...pki.leaf('batch', inter, `URI:spiffe://${TD}/ns/batch/job-7`) },
    foreign: pki.leaf('foreign', caB, `URI:spiffe://${TD}/ns/billing/sa/agent`),
    unknown: pki.leaf('unknown', caA, `URI:spiffe://${TD}/ns/other/sa/x`),
    dnsOnly: pki.leaf('dns-only', caA, 'DNS:billing.prod.example'),
    twoUris: pki.leaf(
      'two-uris',
      caA,
      `URI:spiffe://${TD}/ns/billing/sa/agent,URI:spiffe://${TD}/ns/batch/x`,
    ),
    otherDomain: pki.leaf('other-domain', caA, 'URI:spiffe://evil.example/ns/billing/sa/agent'),
    fromC: pki.leaf('from-c', caC, `URI:spiffe://${TD}/ns/billing/sa/agent`),
  };
  certs.batch = { ...certs.batch!, chain: certs.batch!.cert + inter.cert };
});

after(async () => {
  await Promise.all(listeners.map((l) => l.close()));
});

test('mtls: valid SPIFFE certificate → authenticated workload principal', { skip }, async () => {
  const url = await startServer({
    clientCa: pki.write('client-ca-a.pem', caA.cert),
    requireClientCert: true,
    listenerCaIsBundle: true,
  });
  assert.deepEqual(await call(url, certs.billing), {
    kind: 'authenticated',
    id: 'billing-agent',
    spiffeId: `spiffe://${TD}/ns/billing/sa/agent`,
    roles: ['billing'],
    subjectKind: 'agent',
  });
  // Through an intermediate, matched by path prefix; the principal id defaults to the SPIFFE ID.
  assert.deepEqual(await call(url, certs.batch), {
    kind: 'authenticated',
    id: `spiffe://${TD}/ns/batch/job-7`,
    spiffeId: `spiffe://${TD}/ns/batch/job-7`,
    roles: ['batch'],
    subjectKind: 'service',
  });
});

test('mtls: certificate from another CA → the handshake fails', { skip }, async () => {
  const url = await startServer({
    clientCa: pki.write('client-ca-a2.pem', caA.cert),
    requireClientCert: true,
  });
  await assert.rejects(call(url, certs.foreign));
  await assert.rejects(call(url)); // and no certificate at all
});

test('mtls: valid chain but unknown, non-SPIFFE or foreign-domain id → invalid_client_certificate', {
  skip,
}, async () => {
  const url = await startServer({
    clientCa: pki.write('client-ca-a3.pem', caA.cert),
    requireClientCert: true,
  });
  const cases: [Issued, string][] = [
    [certs.unknown!, 'unknown_workload'],
    [certs.dnsOnly!, 'not_spiffe'],
    [certs.twoUris!, 'not_spiffe'],
    [certs.otherDomain!, 'wrong_trust_domain'],
  ];
  for (const [cert, reason] of cases) {
    rejects.length = 0;
    const r = await call(url, cert);
    assert.equal(r.kind, 'reject');
    assert.equal(r.code, 'invalid_client_certificate');
    assert.deepEqual(Object.keys(r).sort(), ['code', 'credentialPrefix', 'kind']);
    assert.equal(rejects[0]?.reason, reason);
  }
});

test('mtls: listener not enforcing client certs → an unauthorised certificate is still refused', {
  skip,
}, async () => {
  const url = await startServer({
    clientCa: pki.write('client-ca-a4.pem', caA.cert),
    requireClientCert: false,
  });
  rejects.length = 0;
  const r = await call(url, certs.foreign);
  assert.equal(r.code, 'invalid_client_certificate');
  assert.equal(rejects[0]?.reason, 'unauthorized_socket');
  assert.deepEqual(await call(url), { kind: 'abstain' }); // no certificate: not mine
});

test('mtls: listener trusting more CAs than the SPIFFE bundle → chain re-checked against the bundle', {
  skip,
}, async () => {
  const url = await startServer({
    clientCa: pki.write('client-ca-ac.pem', caA.cert + caC.cert),
    requireClientCert: true,
  });
  rejects.length = 0;
  const r = await call(url, certs.fromC);
  assert.equal(r.code, 'invalid_client_certificate');
  assert.equal(rejects[0]?.reason, 'untrusted_chain');
});

test('mtls: SVID from an intermediate with the listener trusting more than the bundle → refused', {
  skip,
}, async () => {
  // Node does not expose client intermediates server-side, so without listenerCaIsBundle the chain
  // cannot be re-checked and the certificate is refused (fail closed).
  const url = await startServer({
    clientCa: pki.write('client-ca-ac2.pem', caA.cert + caC.cert),
    requireClientCert: true,
  });
  rejects.length = 0;
  const r = await call(url, certs.batch);
  assert.equal(r.code, 'invalid_client_certificate');
  assert.equal(rejects[0]?.reason, 'untrusted_chain');
});

test('mtls: certificate outside its validity window → refused', { skip }, async () => {
  const url = await startServer({
    clientCa: pki.write('client-ca-a5.pem', caA.cert),
    requireClientCert: true,
    now: () => Date.now() + 10 * 86_400_000,
  });
  rejects.length = 0;
  const r = await call(url, certs.billing);
  assert.equal(r.code, 'invalid_client_certificate');
  assert.equal(rejects[0]?.reason, 'expired');
});

test('mtls: config — workloads outside the trust domain and non-CA bundles stop start-up', { skip }, () => {
  const bad = identityConfigSchema.parse({
    mtls: { trustBundle: 'x', trustDomain: TD, workloads: [{ id: 'spiffe://other.example/a' }] },
  }).mtls!;
  assert.throws(() => createMtlsAuthenticator(bad, { trustBundlePem: caA.cert }));
  assert.throws(() => createMtlsAuthenticator(mtlsConfig(), { trustBundlePem: certs.billing!.cert }));
  assert.throws(() =>
    identityConfigSchema.parse({
      mtls: { trustBundle: 'x', trustDomain: TD, workloads: [{ prefix: `spiffe://${TD}/ns` }] },
    }),
  );
});

test('mtls: a remembered chain never bypasses the socket verdict or the validity window', {
  skip,
}, async () => {
  let t = Date.now();
  const local: RejectEvent[] = [];
  const mtls = createMtlsAuthenticator(mtlsConfig(), { now: () => t, onReject: (e) => local.push(e) });
  const der = Buffer.from(certs.billing!.cert.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  const req = (authorized: boolean, surface: 'client' | 'admin' = 'client') => ({
    headers: {},
    surface,
    peer: { authorized, chain: [der] },
  });
  const first = await mtls.authenticate(req(true));
  assert.equal(first.kind, 'authenticated');
  const again = await mtls.authenticate(req(true));
  assert.equal(
    again.kind === 'authenticated' && again.principal,
    first.kind === 'authenticated' && first.principal,
  );
  // The same chain on a socket Node did not authorise is refused, cache or not.
  assert.equal((await mtls.authenticate(req(false))).kind, 'reject');
  assert.equal(local.at(-1)?.reason, 'unauthorized_socket');
  // Per surface: the admin surface gets its own verdict (client kind: the workload is not admin).
  const admin = await mtls.authenticate(req(true, 'admin'));
  assert.equal(admin.kind === 'authenticated' && admin.principal.kind, 'client');
  // Past the leaf's notAfter the remembered verdict is dropped and the full check refuses it.
  t += 10 * 86_400_000;
  assert.equal((await mtls.authenticate(req(true))).kind, 'reject');
  assert.equal(local.at(-1)?.reason, 'expired');
});
