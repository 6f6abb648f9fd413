// Attack suite for P1 (no runtime egress): real child processes started with the egress preload try
// every outbound path Node offers. Allowed: 127.0.0.1:<test server>. Refused: everything else, shown
// with 127.0.0.77 (loopback, so a bug cannot leak a packet off the host).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EGRESS_POLICY_ENV, egressChildOptions } from '../../src/egress/child-options.ts';
import { compileEgressPolicy, serializeEgressPolicy } from '../../src/egress/policy.ts';
import {
  PROBE_PRELUDE,
  REPO_ROOT,
  runGuardedChild,
  startFakeDns,
  startHttpServer,
} from './egress-helpers.ts';

const REFUSED = 'EAIRLOCKEGRESS';

describe('egress guard in a child process', () => {
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let fakeDns: Awaited<ReturnType<typeof startFakeDns>>;
  let policyEnv: Record<string, string>;

  before(async () => {
    server = await startHttpServer();
    fakeDns = await startFakeDns();
    const policy = compileEgressPolicy([
      `127.0.0.1:${server.port}`,
      `localhost:${server.port}`,
      'allowed.test',
    ]);
    policyEnv = { [EGRESS_POLICY_ENV]: serializeEgressPolicy(policy) };
  });
  after(async () => {
    await server.close();
    await fakeDns.close();
  });

  test('allowed loopback port connects; every other outbound path is refused with EAIRLOCKEGRESS', async () => {
    const p = server.port;
    const script = `
import net from 'node:net'; import tls from 'node:tls'; import http from 'node:http'; import https from 'node:https';
import dgram from 'node:dgram'; import dns from 'node:dns'; import { lookup } from 'node:dns';
import { createRequire } from 'node:module'; import { Worker } from 'node:worker_threads';
const { request } = createRequire(${JSON.stringify(REPO_ROOT)} + 'package.json')('undici');
${PROBE_PRELUDE}
const get = (mod, url) => new Promise((res, rej) => mod.get(url, (r) => { r.resume(); res(r.statusCode); }).on('error', rej));
await probe('net allowed', () => viaSocket(() => net.connect(${p}, '127.0.0.1').on('connect', function () { this.write('GET / HTTP/1.0\\r\\n\\r\\n'); })));
await probe('http allowed', () => get(http, 'http://127.0.0.1:${p}/'));
await probe('fetch allowed', async () => (await fetch('http://127.0.0.1:${p}/')).text());
await probe('localhost by name', () => get(http, 'http://localhost:${p}/'));
await probe('net 127.0.0.77', () => viaSocket(() => net.connect(${p}, '127.0.0.77')));
await probe('net options form', () => viaSocket(() => net.createConnection({ host: '127.0.0.77', port: 9 })));
await probe('net other port', () => viaSocket(() => net.connect(${p + 1 > 65535 ? p - 1 : p + 1}, '127.0.0.1')));
await probe('net mapped ipv6', () => viaSocket(() => net.connect(${p}, '::ffff:127.0.0.77')));
await probe('http.get', () => get(http, 'http://127.0.0.77:${p}/'));
await probe('https.get', () => get(https, 'https://127.0.0.77:${p}/'));
await probe('undici request', async () => (await request('http://127.0.0.77:${p}/')).statusCode);
await probe('fetch', async () => (await fetch('http://127.0.0.77:${p}/')).status);
await probe('tls.connect', () => viaSocket(() => tls.connect(${p}, '127.0.0.77')));
await probe('dgram send', () => new Promise((res, rej) => { const s = dgram.createSocket('udp4'); s.send('x', 9, '127.0.0.77', (e) => { s.close(); e ? rej(e) : res('sent'); }); }));
await probe('dgram connect', () => new Promise((res, rej) => { const s = dgram.createSocket('udp4'); s.connect(9, '127.0.0.77', (e) => { s.close(); e ? rej(e) : res('connected'); }); }));
await probe('dgram connect no callback', () => new Promise((res, rej) => { const s = dgram.createSocket('udp4'); s.on('error', (e) => { s.close(); rej(e); }); s.on('connect', () => { s.close(); res('connected'); }); s.connect(9, '127.0.0.77'); }));
await probe('dns.lookup', () => new Promise((res, rej) => dns.lookup('example.invalid', (e, a) => (e ? rej(e) : res(a)))));
await probe('named lookup import', () => new Promise((res, rej) => lookup('example.invalid', (e, a) => (e ? rej(e) : res(a)))));
await probe('dns.promises.lookup', () => dns.promises.lookup('example.invalid'));
await probe('lookup localhost', async () => (await dns.promises.lookup('localhost')).address.length > 0);
await probe('dns.resolve4', () => new Promise((res, rej) => dns.resolve4('example.invalid', (e, a) => (e ? rej(e) : res(a)))));
await probe('dns.promises.resolve4', () => dns.promises.resolve4('example.invalid'));
await probe('Resolver.resolveTxt', () => new Promise((res, rej) => new dns.Resolver().resolveTxt('example.invalid', (e, a) => (e ? rej(e) : res(a)))));
await probe('promises Resolver.resolveAny', () => new dns.promises.Resolver().resolveAny('example.invalid'));
await probe('dns.reverse', () => dns.promises.reverse('127.0.0.77'));
await probe('dgram connectSync', () => { const s = dgram.createSocket('udp4'); try { s.connectSync(9, '127.0.0.77'); return 'connected'; } finally { s.close(); } });
await probe('new net.Socket().connect', () => viaSocket(() => new net.Socket().connect(9, '127.0.0.77')));
await probe('worker thread', () => new Promise((res, rej) => {
  const w = new Worker("require('node:net').connect(9, '127.0.0.77').on('error', (e) => require('node:worker_threads').parentPort.postMessage(e.code)).on('connect', () => require('node:worker_threads').parentPort.postMessage('connected'))", { eval: true });
  w.once('message', (m) => { w.terminate(); m === 'connected' ? res(m) : rej({ code: m }); });
  w.once('error', rej);
}));
done();
`;
    const { code, results, events, stderr } = await runGuardedChild(script, policyEnv);
    assert.equal(code, 0, stderr);
    assert.match(results['net allowed']!, /^ok:HTTP\/1\.\d 200/);
    assert.equal(results['http allowed'], 'ok:200');
    assert.equal(results['fetch allowed'], 'ok:ok');
    assert.equal(results['localhost by name'], 'ok:200');
    assert.equal(results['lookup localhost'], 'ok:true');
    const refused = [
      'net 127.0.0.77',
      'net options form',
      'net other port',
      'net mapped ipv6',
      'http.get',
      'https.get',
      'undici request',
      'fetch',
      'tls.connect',
      'dgram send',
      'dgram connect',
      'dgram connect no callback',
      'dns.lookup',
      'named lookup import',
      'dns.promises.lookup',
      'dns.resolve4',
      'dns.promises.resolve4',
      'Resolver.resolveTxt',
      'promises Resolver.resolveAny',
      'dns.reverse',
      'dgram connectSync',
      'new net.Socket().connect',
      'worker thread',
    ];
    for (const name of refused) assert.equal(results[name], REFUSED, `${name} → ${results[name]}`);

    const denials = events.filter((e) => e.event === 'egress_denied');
    // The worker thread's refusal is reported by the worker's own guard, on the same stderr.
    assert.equal(denials.length, refused.length, JSON.stringify(denials));
    const first = denials.find((e) => e.kind === 'tcp' && e.port === p);
    assert.deepEqual(Object.keys(first!).sort(), ['at', 'event', 'host', 'kind', 'port', 'reason']);
    assert.equal(first!.host, '127.0.0.77');
    assert.equal(first!.reason, `127.0.0.77:${p} is not on the allowlist`);
    assert.ok(denials.some((e) => e.kind === 'udp' && e.host === '127.0.0.77' && e.port === 9));
    assert.ok(denials.some((e) => e.kind === 'dns' && e.host === 'example.invalid' && e.port === null));
    assert.ok(!denials.some((e) => String(e.reason).includes('\n')), 'reasons are one line, stack-free');
  });

  test('the error message names the refused target (preload loaded with --import)', async () => {
    const script = `import net from 'node:net';
net.connect(9, '127.0.0.77').on('error', (e) => console.log(JSON.stringify({ message: e.message, code: e.code })));`;
    const { results } = await runGuardedChild(script, policyEnv, { preload: 'import' });
    assert.deepEqual(results, {
      message: 'egress refused by airlock policy: 127.0.0.77:9 is not on the allowlist',
      code: REFUSED,
    });
  });

  test('a refused name never reaches the resolver; an allowed name does (control)', async () => {
    const script = `import dns from 'node:dns';
${PROBE_PRELUDE}
dns.setServers(['127.0.0.1:${fakeDns.port}']);
await probe('refused', () => dns.promises.resolve4('example.invalid'));
const r = new dns.promises.Resolver({ timeout: 2000, tries: 1 });
r.setServers(['127.0.0.1:${fakeDns.port}']);
await probe('refused via Resolver', () => r.resolve6('not-allowed.test'));
await probe('allowed', () => r.resolve4('allowed.test'));
done();`;
    const before = fakeDns.queries();
    const { results, stderr } = await runGuardedChild(script, policyEnv);
    assert.equal(results.refused, REFUSED, stderr);
    assert.equal(results['refused via Resolver'], REFUSED);
    // The control query reached our fake server, which answered REFUSED: the harness can see packets.
    assert.equal(results.allowed, 'EREFUSED');
    assert.equal(fakeDns.queries() - before, 1, 'exactly one query (the allowed name) left the child');
  });

  test('no policy in the environment → deny-all, and the child says why', async () => {
    const script = `import net from 'node:net';
${PROBE_PRELUDE}
await probe('allowed elsewhere', () => viaSocket(() => net.connect(${server.port}, '127.0.0.1')));
done();`;
    const { results, events } = await runGuardedChild(script, {});
    assert.equal(results['allowed elsewhere'], REFUSED);
    assert.ok(events.some((e) => e.event === 'egress_policy_invalid' && /not set/.test(String(e.reason))));
  });

  test('an invalid policy → deny-all (fail closed)', async () => {
    const script = `import net from 'node:net';
${PROBE_PRELUDE}
await probe('allowed elsewhere', () => viaSocket(() => net.connect(${server.port}, '127.0.0.1')));
done();`;
    const bad = JSON.stringify({ v: 1, allow: ['0.0.0.0/99'], loopbackPorts: [] });
    const { results, events } = await runGuardedChild(script, { [EGRESS_POLICY_ENV]: bad });
    assert.equal(results['allowed elsewhere'], REFUSED);
    assert.ok(
      events.some((e) => e.event === 'egress_policy_invalid' && /0\.0\.0\.0\/99/.test(String(e.reason))),
    );
  });

  test('worker threads are guarded even when the parent has per-process flags a worker rejects', async () => {
    const script = `import { Worker } from 'node:worker_threads';
const w = new Worker("require('node:net').connect(9, '127.0.0.77').on('error', (e) => require('node:worker_threads').parentPort.postMessage(e.code)).on('connect', () => require('node:worker_threads').parentPort.postMessage('connected'))", { eval: true });
w.once('message', (m) => { console.log(JSON.stringify({ worker: m })); w.terminate(); });`;
    const { results, stderr } = await runGuardedChild(script, policyEnv, {
      nodeFlags: ['--max-old-space-size=128'],
    });
    assert.deepEqual(results, { worker: REFUSED }, stderr);
  });

  test('grandchildren are guarded: with egressChildOptions and with a plain inherited environment', async () => {
    const p = server.port;
    const policy = compileEgressPolicy([`127.0.0.1:${p}`]);
    const grandchild = `import net from 'node:net';
const out = {};
const tryConnect = (host) => new Promise((res) => net.connect(${p}, host).on('connect', function () { this.destroy(); res('ok'); }).on('error', (e) => res(e.code)));
out.allowed = await tryConnect('127.0.0.1');
out.refused = await tryConnect('127.0.0.77');
console.log(JSON.stringify(out));`;
    const script = `import { spawnSync } from 'node:child_process';
import { egressChildOptions } from ${JSON.stringify(`${REPO_ROOT}src/egress/child-options.ts`)};
import { deserializeEgressPolicy } from ${JSON.stringify(`${REPO_ROOT}src/egress/policy.ts`)};
const code = ${JSON.stringify(grandchild)};
const opts = egressChildOptions(deserializeEgressPolicy(process.env.AIRLOCK_EGRESS_POLICY));
const run = (args, env) => JSON.parse(spawnSync(process.execPath, [...args, '--input-type=module', '-e', code], { env, encoding: 'utf8' }).stdout.trim().split('\\n').pop());
const explicit = run(opts.execArgv, { PATH: process.env.PATH, ...opts.env });
const inherited = run([], process.env);
console.log(JSON.stringify({ explicitAllowed: explicit.allowed, explicitRefused: explicit.refused, inheritedAllowed: inherited.allowed, inheritedRefused: inherited.refused }));`;
    const { results, stderr } = await runGuardedChild(script, {
      [EGRESS_POLICY_ENV]: serializeEgressPolicy(policy),
    });
    assert.deepEqual(
      results,
      { explicitAllowed: 'ok', explicitRefused: REFUSED, inheritedAllowed: 'ok', inheritedRefused: REFUSED },
      stderr,
    );
    assert.deepEqual(egressChildOptions(policy).execArgv.length, 2);
  });
});
