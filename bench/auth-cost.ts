// Micro-benchmark: µs per authentication, per method, against real backends (a migrated SQLite store
// in a temporary folder; PostgreSQL at 127.0.0.1:5432 for the shared revocation check when reachable).
// Budget (DESIGN.md §9, issue 5): receive + authenticate 30 µs; API key and a JWT whose key is cached
// at most 30 µs. Median of 5 rounds; wall and CPU µs per op (CPU is the better estimate on a busy box).
// Run: . scripts/node24.sh && node bench/auth-cost.ts [--json] [--quick]
import {
  type createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign as signBytes,
  verify,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import pg from 'pg';
import { createApiKeyAuthenticator } from '../src/identity/api-key-authenticator.ts';
import { generateApiKey } from '../src/identity/api-key-codec.ts';
import { identityConfigSchema } from '../src/identity/config.ts';
import { createJwtAuthenticator } from '../src/identity/jwt-authenticator.ts';
import { createLastSeenRecorder, trackLastSeen } from '../src/identity/last-seen-recorder.ts';
import { lastSeenStoreFor } from '../src/identity/last-seen-store.ts';
import { createMtlsAuthenticator } from '../src/identity/mtls-authenticator.ts';
import { createCachedRevocationStore } from '../src/identity/revocation-cache.ts';
import { createPostgresRevocationStore } from '../src/identity/revocation-store-postgres.ts';
import { createSqliteRevocationStore } from '../src/identity/revocation-store-sqlite.ts';
import { createTaskTokenAuthenticator } from '../src/identity/task-token-authenticator.ts';
import { createTaskTokenService } from '../src/identity/task-token-service.ts';
import { fileSigningKeyStore } from '../src/identity/token-signing-key-stores.ts';
import { createSigningKeyring } from '../src/identity/token-signing-keys.ts';
import type { Authenticator, AuthRequest } from '../src/identity/types.ts';
import { usersConfigSchema } from '../src/identity/users/config.ts';
import { userRepoFor } from '../src/identity/users/open-users.ts';
import { createSessionAuthenticator } from '../src/identity/users/session-authenticator.ts';
import { createSessionManager, SESSION_COOKIE } from '../src/identity/users/session-manager.ts';
import { openSideConnection, postgresSideConnection } from '../src/secrets/side-connection.ts';
import { openPostgresStore } from '../src/store/postgres-store.ts';
import { openSqliteStore } from '../src/store/sqlite-store.ts';
import { createPki } from '../test/security/identity-fixtures.ts';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const ROUNDS = 5;
const AUD = 'https://airlock.bench';
const ISS = 'https://idp.bench/realms/main';
const results: Record<string, { wallUs: number; cpuUs: number }> = {};

/** Median over ROUNDS rounds of µs per op (wall and CPU). `fn` gets a running index. */
async function measure(label: string, n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  n = quick ? Math.max(50, Math.floor(n / 5)) : n;
  for (let i = 0; i < Math.min(n, 2000); i++) await fn(1_000_000 + i); // warm-up (JIT, caches)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn(r * n + i);
    wall.push(((performance.now() - t0) * 1000) / n);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / n);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  results[label] = { wallUs: wall[ROUNDS >> 1]!, cpuUs: cpu[ROUNDS >> 1]! };
  if (!json)
    console.log(
      `${label.padEnd(58)} ${wall[ROUNDS >> 1]!.toFixed(1).padStart(8)} µs wall ${cpu[ROUNDS >> 1]!.toFixed(1).padStart(8)} µs cpu`,
    );
}

const expectOk = (a: Authenticator, req: AuthRequest) => async () => {
  const r = await a.authenticate(req);
  if (r.kind !== 'authenticated') throw new Error(`${a.id}: ${JSON.stringify(r)}`);
};
const bearer = (t: string): AuthRequest => ({ headers: { authorization: `Bearer ${t}` }, surface: 'client' });

const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-auth-'));
const storePath = join(dir, 'airlock.db');
const store = await openSqliteStore({ path: storePath });
await store.migrate();
const side = await openSideConnection({ driver: 'sqlite', path: storePath }, { dataDir: dir });

try {
  // API key: HMAC-SHA-256 of the presented key + one indexed SQLite lookup; last-use write throttled.
  const pepper = randomBytes(32);
  const g = generateApiKey(pepper, 'client');
  const t = new Date();
  await store.insertApiKey({
    id: g.id,
    prefix: g.prefix,
    hash: g.hash,
    owner: 'bench',
    kind: 'client',
    models: ['*'],
    endpoints: ['*'],
    createdAt: t,
    expiresAt: new Date(t.getTime() + 86_400_000),
  });
  const apiKey = createApiKeyAuthenticator({ store, pepper });
  await measure('API key (SQLite lookup)', 20_000, expectOk(apiKey, bearer(g.key)));

  // IdP JWTs from a JWKS file: the same token again (verified-token cache), and a new token each
  // time (signature verified; the JWKS key is cached).
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const jwk = (k: typeof rsa.publicKey, kid: string) => ({ ...(k.export({ format: 'jwk' }) as object), kid });
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(
    jwksFile,
    JSON.stringify({ keys: [jwk(rsa.publicKey, 'rsa'), jwk(ec.publicKey, 'ec'), jwk(ed.publicKey, 'ed')] }),
  );
  const idc = identityConfigSchema.parse({ audience: AUD, jwt: { issuers: [{ issuer: ISS, jwksFile }] } });
  const jwtAuth = createJwtAuthenticator({ audience: AUD, issuers: idc.jwt!.issuers });
  await jwtAuth.warmUp();
  const now = Math.floor(Date.now() / 1000);
  const sign = (alg: string, kid: string, key: ReturnType<typeof createPrivateKey>, i: number) =>
    new jose.SignJWT({ scope: 'model:* endpoint:chat', roles: ['analyst'] })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setSubject(`user-${i}`)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(key);
  const same = await sign('RS256', 'rsa', rsa.privateKey, 0);
  await measure('JWT RS256, token seen before (verified cache)', 20_000, expectOk(jwtAuth, bearer(same)));
  for (const [alg, kid, key] of [
    ['RS256', 'rsa', rsa.privateKey],
    ['ES256', 'ec', ec.privateKey],
    ['EdDSA', 'ed', ed.privateKey],
  ] as const) {
    const n = quick ? 400 : 2000;
    const tokens = await Promise.all(
      Array.from({ length: n * (ROUNDS + 1) + 2000 }, (_, i) => sign(alg, kid, key, i)),
    );
    await measure(`JWT ${alg}, new token (signature verified, key cached)`, n, (i) =>
      expectOk(jwtAuth, bearer(tokens[i % tokens.length]!))(),
    );
  }

  // The floor of a first sight: the RS256 signature check alone (node:crypto on the imported key).
  const rsInput = Buffer.from(same.slice(0, same.lastIndexOf('.')));
  const rsSig = signBytes('sha256', rsInput, rsa.privateKey);
  await measure('RS256 signature alone (node:crypto verify; reference)', quick ? 2000 : 5000, async () => {
    if (!verify('sha256', rsInput, rsa.publicKey, rsSig)) throw new Error('verify');
  });
  // As the gateway runs IdP authenticators: wrapped in the write-behind last-seen tracking.
  const recorder = createLastSeenRecorder({}, { store: lastSeenStoreFor(side) });
  await measure(
    'JWT RS256, token seen before + last-seen tracking',
    20_000,
    expectOk(trackLastSeen(jwtAuth, recorder), bearer(same)),
  );
  await recorder.close();

  // mTLS: the X509-SVID chain from the handshake mapped to a workload by SPIFFE ID.
  const pki = createPki();
  const ca = pki.ca('bench-ca');
  const leaf = pki.leaf('agent', ca, 'URI:spiffe://bench.example/ns/billing/sa/agent');
  const mtls = createMtlsAuthenticator(
    identityConfigSchema.parse({
      mtls: {
        trustBundle: pki.write('bundle.pem', ca.cert),
        trustDomain: 'bench.example',
        workloads: [{ prefix: 'spiffe://bench.example/ns/billing/', scopes: ['model:*'] }],
      },
    }).mtls!,
  );
  const der = Buffer.from(leaf.cert.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  await measure(
    'mTLS / SPIFFE mapping (same peer certificate)',
    5_000,
    expectOk(mtls, {
      headers: {},
      surface: 'client',
      peer: { authorized: true, chain: [der] },
    } as AuthRequest),
  );

  // Task tokens: airlock's own EdDSA tokens; revocation read from the store on every use.
  const keyring = createSigningKeyring(
    { rotationMs: 86_400_000, retainMs: 3_600_000 },
    { keys: fileSigningKeyStore(join(dir, 'token-signing')) },
  );
  const revocations = createSqliteRevocationStore(side.driver === 'sqlite' ? side.db : (undefined as never));
  await revocations.revokeTask('some-other-task', new Date(Date.now() + 3_600_000));
  const ttc = { issuer: AUD, audience: AUD, maxLifetimeMs: 900_000, skewMs: 60_000, maxDelegationDepth: 4 };
  const service = createTaskTokenService({ ...ttc, requireScope: false }, { keyring, revocations });
  const subject = {
    kind: 'client' as const,
    id: 'bench',
    credentialId: 'key_bench',
    credentialPrefix: 'alk_bench',
    expiresAt: new Date(Date.now() + 3_600_000),
    scopes: { models: ['*'], endpoints: ['*'] },
  };
  const mintN = async (n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const r = await service.exchange({ subject, taskId: 'bench-task', scope: ['model:*'] });
        if (r.kind !== 'issued') throw new Error(r.reason);
        return r.token;
      }),
    );
  const [tt] = await mintN(1);
  const taskAuth = createTaskTokenAuthenticator(ttc, { keyring, revocations });
  await measure('task token, seen before + SQLite revocation check', 20_000, expectOk(taskAuth, bearer(tt!)));
  const nNew = quick ? 400 : 2000;
  const fresh = await mintN(nNew * (ROUNDS + 1) + 2000);
  await measure('task token, new token + SQLite revocation check', nNew, (i) =>
    expectOk(taskAuth, bearer(fresh[i % fresh.length]!))(),
  );
  const pgAdmin = process.env['AIRLOCK_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `airlock_bench_${process.pid}`;
  let pgDone: (() => Promise<void>) | undefined;
  try {
    const c = new pg.Client({ connectionString: pgAdmin });
    await c.connect();
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.end();
    const url = new URL(pgAdmin);
    url.pathname = `/${dbName}`;
    const pgStore = await openPostgresStore({ url: url.toString() });
    await pgStore.migrate();
    const conn = await postgresSideConnection(url.toString());
    if (conn.driver !== 'postgres') throw new Error('unexpected');
    const pgAuth = createTaskTokenAuthenticator(ttc, {
      keyring,
      revocations: createPostgresRevocationStore(conn),
    });
    await measure(
      'task token, seen before + PostgreSQL revocation check',
      2_000,
      expectOk(pgAuth, bearer(tt!)),
    );
    const pgCached = createTaskTokenAuthenticator(ttc, {
      keyring,
      revocations: createCachedRevocationStore(createPostgresRevocationStore(conn), { maxStalenessMs: 1000 }),
    });
    await measure(
      'task token, seen before + PostgreSQL, maxStaleness 1s',
      20_000,
      expectOk(pgCached, bearer(tt!)),
    );
    pgDone = async () => {
      await conn.close();
      await pgStore.close();
      const d = new pg.Client({ connectionString: pgAdmin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await d.end();
    };
  } catch (err) {
    if (!json) console.log(`(PostgreSQL not reachable at ${pgAdmin}: ${(err as Error).message}; skipped)`);
  }
  await pgDone?.();

  // Console session cookie: SHA-256 of the token, session and user lookups, idle-timeout touch.
  const repo = userRepoFor(side);
  await repo.insertUser({
    id: 'u1',
    name: 'analyst',
    role: 'user',
    passwordHash: '$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA',
    passwordChangedAt: Date.now(),
    totpState: 'enabled',
    totpLastStep: null,
    createdAt: Date.now(),
    disabledAt: null,
  });
  const sessions = createSessionManager(usersConfigSchema.parse({}).session, { repo });
  const issued = await sessions.issue((await repo.getUser('u1'))!, 'full', '127.0.0.1');
  const sessionAuth = createSessionAuthenticator({
    sessions,
    userScopes: { models: ['*'], endpoints: ['*'] },
  });
  await measure(
    'session cookie (GET, SQLite lookups)',
    20_000,
    expectOk(sessionAuth, {
      headers: { cookie: `${SESSION_COOKIE}=${issued.token}` },
      surface: 'client',
      method: 'GET',
    } as AuthRequest),
  );
} finally {
  await side.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
if (json) console.log(JSON.stringify(results, null, 2));
