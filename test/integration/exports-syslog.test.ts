// Syslog export against real receivers on 127.0.0.1: RFC 6587 octet-counted frames, RFC 5424 fields,
// CEF escaping, TLS verified against a throwaway CA (with and without a client certificate), a wrong
// CA refused, and a receiver that is down: entries dropped and counted, export never throws, and the
// exporter reconnects and delivers what it kept once the receiver is back.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { createSyslogExporter, type SyslogOptions } from '../../src/evidence/exports/syslog.ts';
import type { AuditExporter } from '../../src/evidence/exports/types.ts';
import type { AuditEntry } from '../../src/evidence/types.ts';

interface Parsed {
  pri: number;
  version: string;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sdId: string;
  params: Record<string, string>;
  msg: string;
}

/** RFC 5424 parser with SD-PARAM unescaping (§6.3.3), strict enough to catch framing errors. */
function parse5424(raw: string): Parsed {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(raw);
  assert.ok(m, `not RFC 5424: ${raw.slice(0, 80)}`);
  let i = m[0].length;
  assert.equal(raw[i], '[');
  i++;
  const idEnd = raw.indexOf(' ', i);
  const sdId = raw.slice(i, idEnd);
  i = idEnd;
  const params: Record<string, string> = {};
  while (raw[i] === ' ') {
    const eq = raw.indexOf('=', i);
    const name = raw.slice(i + 1, eq);
    assert.equal(raw[eq + 1], '"');
    let j = eq + 2;
    let value = '';
    while (raw[j] !== '"') {
      if (raw[j] === '\\' && (raw[j + 1] === '"' || raw[j + 1] === '\\' || raw[j + 1] === ']')) j++;
      else assert.notEqual(raw[j], ']', 'unescaped ] inside a PARAM-VALUE');
      value += raw[j];
      j++;
    }
    params[name] = value;
    i = j + 1;
  }
  assert.equal(raw[i], ']');
  assert.equal(raw[i + 1], ' ');
  return {
    pri: Number(m[1]),
    version: m[2]!,
    timestamp: m[3]!,
    hostname: m[4]!,
    appName: m[5]!,
    procId: m[6]!,
    msgId: m[7]!,
    sdId,
    params,
    msg: raw.slice(i + 2),
  };
}

/** A syslog receiver: octet-counted frames only (a non-digit where MSG-LEN belongs fails the test). */
class Receiver {
  readonly messages: string[] = [];
  readonly sockets = new Set<Socket>();
  readonly errors: string[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  server!: Server;

  onSocket = (socket: Socket | TLSSocket) => {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) break;
        const lenText = buf.subarray(0, sp).toString('ascii');
        if (!/^[1-9]\d*$/.test(lenText)) {
          this.errors.push(`bad MSG-LEN ${JSON.stringify(lenText.slice(0, 20))}`);
          socket.destroy();
          return;
        }
        const len = Number(lenText);
        if (buf.length < sp + 1 + len) break;
        this.messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        buf = buf.subarray(sp + 1 + len);
      }
      this.wake();
    });
  };

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.messages.length < w.n) return true;
      w.resolve();
      return false;
    });
  }

  waitFor(n: number): Promise<void> {
    if (this.messages.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  async listen(server: Server, port = 0): Promise<number> {
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const entry = (index: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  v: 1,
  index,
  time: '2025-03-01T12:34:56.789Z',
  type: 'request.completed',
  outcome: 'allow',
  requestId: `req-${index}`,
  principal: { kind: 'client', id: 'svc', credentialId: 'cred' },
  detail: { operation: 'chat' },
  ...over,
});

const deps = {
  dataDir: '/nonexistent',
  version: '0.1.0',
  hostname: 'gw-test',
  backoff: { initialMs: 5, maxMs: 40 },
};
const opts = (port: number, over: Partial<SyslogOptions> = {}): SyslogOptions => ({
  name: 'syslog-test',
  transport: 'tcp',
  host: '127.0.0.1',
  port,
  format: 'cef',
  appName: 'airlock',
  facility: 'local0',
  sdId: 'airlock@32473',
  maxQueue: 1000,
  connectTimeoutMs: 2000,
  closeTimeoutMs: 2000,
  ...over,
});

/** Waits (without asserting on time) until a condition holds, checking on every timer tick. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe('syslog export over TCP', () => {
  let rx: Receiver;
  let port: number;
  let exp: AuditExporter;
  before(async () => {
    rx = new Receiver();
    port = await rx.listen(createServer(rx.onSocket));
  });
  after(async () => {
    await exp?.close();
    await rx.close();
  });

  test('octet-counted RFC 5424 frames with CEF payloads, escaped, in index order', async () => {
    exp = createSyslogExporter(opts(port), deps);
    const tricky = entry(2, {
      outcome: 'deny',
      code: 'forbidden',
      requestId: 'r"x]y\\z',
      principal: { kind: 'client', id: 'team=a|b\nc', credentialId: 'cred' },
      detail: { note: 'multi\nline = \\ | ] "' },
    });
    exp.export(entry(0));
    exp.export(entry(1, { outcome: 'error', code: 'upstream_error' }));
    exp.export(tricky);
    for (let i = 3; i < 200; i++) exp.export(entry(i));
    await rx.waitFor(200);
    await exp.flush();
    assert.deepEqual(rx.errors, []);
    const parsed = rx.messages.map(parse5424);
    assert.deepEqual(
      parsed.map((p) => Number(p.params['index'])),
      Array.from({ length: 200 }, (_, i) => i),
    );
    const [p0, p1, p2] = parsed as [Parsed, Parsed, Parsed];
    assert.equal(p0.pri, 16 * 8 + 6);
    assert.equal(p1.pri, 16 * 8 + 3);
    assert.equal(p2.pri, 16 * 8 + 4);
    assert.equal(p0.version, '1');
    assert.equal(p0.timestamp, '2025-03-01T12:34:56.789Z');
    assert.equal(p0.hostname, 'gw-test');
    assert.equal(p0.appName, 'airlock');
    assert.equal(p0.procId, String(process.pid));
    assert.equal(p0.msgId, 'request.completed');
    assert.equal(p0.sdId, 'airlock@32473');
    assert.equal(p2.params['requestId'], 'r"x]y\\z');
    assert.ok(p2.msg.startsWith('CEF:0|airlock|airlock|0.1.0|request.completed|'));
    assert.ok(p2.msg.includes(' suser=team\\=a|b\\nc '), p2.msg);
    assert.ok(!p2.msg.includes('\n'));
    const cs4 = /cs4=(.*)$/
      .exec(p2.msg)![1]!
      .replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
    assert.deepEqual(JSON.parse(cs4), tricky.detail, 'CEF-unescaped detail is the entry detail');
    const h = exp.health();
    assert.equal(h.ok, true);
    assert.equal(h.exported, 200);
    assert.equal(h.dropped, 0);
  });

  test('json payload: the MSG is the entry', async () => {
    const rx2 = new Receiver();
    const port2 = await rx2.listen(createServer(rx2.onSocket));
    const e = createSyslogExporter(opts(port2, { format: 'json', facility: 'authpriv' }), deps);
    e.export(entry(5, { outcome: 'deny', code: 'forbidden' }));
    await rx2.waitFor(1);
    const p = parse5424(rx2.messages[0]!);
    assert.equal(p.pri, 10 * 8 + 4);
    assert.deepEqual(JSON.parse(p.msg), entry(5, { outcome: 'deny', code: 'forbidden' }));
    await e.close();
    await rx2.close();
  });
});

describe('syslog export over TLS (throwaway CA)', () => {
  let dir: string;
  const pem = (name: string) => readFileSync(join(dir, name));
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-syslog-tls-'));
    const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const key = (name: string) =>
      ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name);
    const ca = (name: string) => {
      key(`${name}.key`);
      ossl(
        'req',
        '-x509',
        '-new',
        '-key',
        `${name}.key`,
        '-out',
        `${name}.pem`,
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign',
      );
    };
    const leaf = (name: string, issuer: string, ext: string) => {
      key(`${name}.key`);
      ossl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      writeFileSync(join(dir, `${name}.ext`), ext);
      ossl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${issuer}.pem`,
        '-CAkey',
        `${issuer}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '1',
        '-extfile',
        `${name}.ext`,
      );
    };
    ca('ca');
    ca('other-ca');
    leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('verified against the CA, with a client certificate the receiver requires', async () => {
    const rx = new Receiver();
    const peers: string[] = [];
    const server = createTlsServer(
      {
        key: pem('server.key'),
        cert: pem('server.pem'),
        ca: pem('ca.pem'),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (s) => {
        peers.push(String(s.getPeerCertificate().subject?.CN ?? ''));
        rx.onSocket(s);
      },
    );
    const port = await rx.listen(server);
    const e = createSyslogExporter(
      opts(port, { transport: 'tls', ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') }),
      deps,
    );
    for (let i = 0; i < 50; i++) e.export(entry(i));
    await rx.waitFor(50);
    assert.deepEqual(peers, ['client']);
    assert.deepEqual(
      rx.messages.map((m) => Number(parse5424(m).params['index'])),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.equal(e.health().ok, true);
    await e.close();
    await rx.close();
  });

  test('a receiver whose certificate is not from the configured CA is refused', async () => {
    const rx = new Receiver();
    const server = createTlsServer({ key: pem('server.key'), cert: pem('server.pem') }, rx.onSocket);
    server.on('tlsClientError', () => {});
    const port = await rx.listen(server);
    const e = createSyslogExporter(opts(port, { transport: 'tls', ca: pem('other-ca.pem') }), deps);
    e.export(entry(0));
    await until(() => e.health().reason !== undefined && e.health().reason !== 'not connected yet');
    const h = e.health();
    assert.equal(h.ok, false);
    assert.match(h.reason ?? '', /certificate|CERT|signature/i);
    assert.equal(h.queued, 1, 'kept for when a trusted receiver answers');
    assert.equal(rx.messages.length, 0);
    await e.close();
    assert.equal(e.health().dropped, 1, 'close counts what never left');
    await rx.close();
  });

  test('tls without a CA cannot be built', () => {
    assert.throws(() => createSyslogExporter(opts(1, { transport: 'tls' }), deps), /CA/);
  });
});

describe('syslog receiver down', () => {
  test('drops beyond the queue and counts them, never throws, reconnects and delivers when back', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));

    const e = createSyslogExporter(opts(port, { maxQueue: 5 }), deps);
    // "Requests unaffected": export is synchronous, returns nothing and never throws.
    for (let i = 0; i < 8; i++) assert.equal(e.export(entry(i)), undefined);
    assert.equal(e.health().dropped, 3);
    assert.equal(e.health().queued, 5);
    await until(() => /ECONNREFUSED/.test(e.health().reason ?? ''));
    assert.equal(e.health().ok, false);
    await e.flush(); // resolves while disconnected: nothing can be handed over now

    const rx = new Receiver();
    await rx.listen(createServer(rx.onSocket), port);
    await rx.waitFor(5);
    assert.deepEqual(
      rx.messages.map((m) => Number(parse5424(m).params['index'])),
      [0, 1, 2, 3, 4],
    );
    await until(() => e.health().ok);

    // The receiver goes away again; the exporter notices, and reconnects to a new receiver.
    await rx.close();
    await until(() => !e.health().ok);
    const rx2 = new Receiver();
    await rx2.listen(createServer(rx2.onSocket), port);
    for (let i = 8; i < 12; i++) e.export(entry(i));
    await rx2.waitFor(4);
    assert.deepEqual(
      rx2.messages.map((m) => Number(parse5424(m).params['index'])),
      [8, 9, 10, 11],
    );
    assert.equal(e.health().dropped, 3);
    await e.close();
    await rx2.close();
  });
});
