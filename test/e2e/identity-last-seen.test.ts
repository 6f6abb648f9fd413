// Unused identities beyond API keys and users (issue 5), through the real `airlock serve` and
// `airlock doctor`: an IdP JWT (signed by the test's own IdP key) and an mTLS client certificate with
// a SPIFFE ID (from the test's own CA, real TLS handshakes) authenticate; after a graceful shutdown
// (SIGTERM: the write-behind queue is flushed) doctor --json reports both as idle past
// identity.unusedAfter, and not with the default 30 days.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import * as jose from 'jose';
import { stringify } from 'yaml';
import { createPki, idpKeys, jwksOf, writeJwksFile } from '../security/identity-fixtures.ts';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
const run = promisify(execFile);
const IDP = 'https://idp.corp.test/realms/main';
const AUDIENCE = 'https://airlock.corp.test';
const SPIFFE = 'spiffe://corp.test/ns/billing/sa/invoicer';

type Finding = { level: string; code: string; message: string; fix: string };

function get(
  url: string,
  opts: { ca: string; headers?: Record<string, string>; cert?: string; key?: string },
) {
  return new Promise<number>((resolve, reject) => {
    const req = request(`${url}/v1/models`, {
      ca: opts.ca,
      headers: opts.headers ?? {},
      cert: opts.cert,
      key: opts.key,
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('IdP subjects and mTLS workloads in airlock doctor', () => {
  let dir: string;
  let child: ChildProcess;
  const pki = createPki();
  const ca = pki.ca('corp-ca');
  const server = pki.leaf('server', ca, 'IP:127.0.0.1,DNS:localhost');
  const workload = pki.leaf('invoicer', ca, `URI:${SPIFFE}`);
  const ed = idpKeys().ed;
  const config = (name: string, unusedAfter?: string) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      stringify({
        version: 1,
        dataDir: '.',
        listeners: {
          client: {
            host: '127.0.0.1',
            port: 0,
            tls: { cert: server.certPath, key: server.keyPath, clientCa: pki.write('bundle.pem', ca.cert) },
          },
          admin: { host: '127.0.0.1', port: 0 },
        },
        identity: {
          audience: AUDIENCE,
          ...(unusedAfter ? { unusedAfter } : {}),
          jwt: { issuers: [{ issuer: IDP, jwksFile: writeJwksFile(jwksOf([ed])), algorithms: ['EdDSA'] }] },
          mtls: {
            trustBundle: join(pki.dir, 'bundle.pem'),
            trustDomain: 'corp.test',
            workloads: [{ prefix: 'spiffe://corp.test/ns/billing/', scopes: ['model:*', 'endpoint:models'] }],
          },
        },
      }),
    );
    return path;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-last-seen-'));
  });
  after(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  });

  async function doctor(path: string): Promise<Finding[]> {
    const out = await run(process.execPath, [BIN, 'doctor', '--config', path, '--json']).catch(
      (e: { stdout: string }) => e,
    );
    return (JSON.parse(out.stdout) as { findings: Finding[] }).findings.filter(
      (f) => f.code === 'credential_unused',
    );
  }

  test('a JWT subject and a SPIFFE workload are tracked and reported idle past unusedAfter', async () => {
    const strict = config('strict.yaml', '1ms');
    const relaxed = config('relaxed.yaml');
    child = spawn(process.execPath, [BIN, 'serve', '--config', strict], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ready = await new Promise<{ client: string }>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const line = buf.split('\n').find((l) => l.includes('"msg":"airlock ready"'));
        if (line) resolve(JSON.parse(line));
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${buf}`)));
    });
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new jose.SignJWT({ scope: 'model:* endpoint:models', airlock_kind: 'service' })
      .setProtectedHeader({ alg: 'EdDSA', kid: ed.kid, typ: 'JWT' })
      .setIssuer(IDP)
      .setAudience(AUDIENCE)
      .setSubject('alice')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(ed.privateKey);
    // Many requests from each identity: still one row each (written behind, once per minute at most).
    for (let i = 0; i < 5; i++) {
      assert.equal(
        await get(ready.client, { ca: ca.cert, headers: { authorization: `Bearer ${jwt}` } }),
        200,
      );
      assert.equal(await get(ready.client, { ca: ca.cert, cert: workload.cert, key: workload.key }), 200);
    }
    // A forged token authenticates nobody, so it is not tracked.
    assert.equal(
      await get(ready.client, { ca: ca.cert, headers: { authorization: `Bearer ${jwt.slice(0, -2)}AA` } }),
      401,
    );

    child.kill('SIGTERM');
    assert.equal(await new Promise((r) => child.once('exit', r)), 0);

    const flagged = await doctor(strict);
    const messages = flagged.filter((f) => f.level === 'warn').map((f) => f.message);
    assert.equal(messages.length, 2, JSON.stringify(flagged));
    assert.match(
      messages.find((m) => m.startsWith('IdP subject'))!,
      new RegExp(`^IdP subject alice \\(issuer ${IDP}\\) last used `),
    );
    assert.match(
      messages.find((m) => m.startsWith('mTLS workload'))!,
      new RegExp(`^mTLS workload ${SPIFFE} last used `),
    );
    assert.ok(!JSON.stringify(flagged).includes(jwt.split('.')[2]!), 'no token material in the report');

    assert.deepEqual(
      (await doctor(relaxed)).map((f) => [f.level, f.message]),
      [['ok', 'every API key, local user, IdP subject and mTLS workload tracked (2) was used within 30d']],
    );
  });
});
