// P5: a vault secret's value must never leave through any path. The secret is stored with `airlock
// secrets set` (stdin), injected by `serve` into upstream calls, and then pushed through every path we
// can provoke: success, streaming, an upstream that echoes the credential in its 400 error, an upstream
// 500, a client error, debug logging, metrics, OpenTelemetry traces, the audit log and its JSONL
// export. Afterwards every log line, metric, span, audit entry and export is searched for the value.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'airlock-leak-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((f) => join(root, f))
    .filter((f) => statSync(f).isFile());
}

test('a vault secret never appears in logs, errors, metrics, traces, audit entries or exports', async () => {
  const secret = `sk-live-${randomBytes(18).toString('hex')}`;
  const upstream = await startMockOpenAiUpstream({ chunkCount: 3 });
  const spans: string[] = [];
  const collector: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      spans.push(body);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  try {
    const config = join(dir, 'airlock.yaml');
    writeFileSync(
      config,
      stringify({
        version: 1,
        dataDir: '.',
        listeners: { client: { host: '127.0.0.1', port: 0 } },
        upstreams: [{ name: 'mock', kind: 'openai', baseUrl: upstream.url, apiKey: 'secret:UPSTREAM_TOKEN' }],
        // A loopback mock has no weights to verify: the P7 exception is stated, as an operator would.
        custody: { exempt: [{ upstream: 'mock', reason: 'loopback mock upstream in a test' }] },
        models: [{ alias: 'm', targets: [{ upstream: 'mock', model: 'x' }] }],
        logging: { level: 'debug' },
        audit: { checkpointInterval: '100ms', exports: [{ kind: 'jsonl', path: 'exports/audit.jsonl' }] },
        tracing: {
          endpoint: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`,
          interval: '100ms',
        },
      }),
    );
    const set = spawn(
      process.execPath,
      [BIN, 'secrets', 'set', 'UPSTREAM_TOKEN', '--from-stdin', '--config', config],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    set.stdin!.end(`${secret}\n`);
    assert.equal(await new Promise((r) => set.on('exit', r)), 0);
    const key = JSON.parse(
      (
        await run(process.execPath, [
          BIN,
          'keys',
          'create',
          '--config',
          config,
          '--owner',
          'leak',
          '--ttl',
          '1h',
          '--json',
        ])
      ).stdout,
    ).key;

    const serve = spawn(process.execPath, [BIN, 'serve', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(serve);
    let logs = '';
    serve.stdout!.on('data', (d: Buffer) => {
      logs += d.toString();
    });
    serve.stderr!.on('data', (d: Buffer) => {
      logs += d.toString();
    });
    for (let i = 0; i < 200 && !logs.includes('"msg":"airlock ready"'); i++)
      await new Promise((r) => setTimeout(r, 50));
    const url = JSON.parse(logs.split('\n').find((l) => l.includes('"msg":"airlock ready"'))!)
      .client as string;

    const responses: string[] = [];
    const call = async (body: unknown) => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      responses.push(`${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
      return res.status;
    };
    const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    assert.equal(await call(chat), 200);
    assert.equal(await call({ ...chat, stream: true }), 200);
    assert.equal(
      upstream.requests.at(-1)!.headers.authorization,
      `Bearer ${secret}`,
      'the secret is injected at the last hop',
    );
    // An upstream that echoes the credential back in its error message.
    upstream.setBehaviour({
      failNext: 1,
      failStatus: 400,
      failMessage: `bad key Bearer ${secret} for this model`,
    });
    assert.equal(await call(chat), 400);
    upstream.setBehaviour({ failNext: 1, failStatus: 500, failMessage: `internal: token=${secret}` });
    assert.ok((await call(chat)) >= 500);
    assert.equal(await call({ model: 'm', messages: 'not an array' }), 400);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    await new Promise((r) => setTimeout(r, 500));
    serve.kill('SIGTERM');
    await new Promise((r) => serve.on('exit', r));
    await run(process.execPath, [BIN, 'audit', 'export', '--config', config, '--out', join(dir, 'bundle')]);

    const places: Record<string, string> = {
      'gateway logs (debug)': logs,
      'client responses': responses.join('\n'),
      metrics,
      traces: spans.join('\n'),
    };
    for (const f of [...filesUnder(join(dir, 'bundle')), join(dir, 'exports', 'audit.jsonl')])
      places[f] = readFileSync(f, 'utf8');
    // The SQLite files hold the log and the store; the vault keeps ciphertext only.
    for (const f of readdirSync(dir).filter((n) => /\.(db|sqlite)(-wal)?$/.test(n)))
      places[f] = readFileSync(join(dir, f)).toString('latin1');
    const leaks = Object.entries(places)
      .filter(([, text]) => text.includes(secret))
      .map(([where]) => where);
    assert.deepEqual(leaks, [], 'the secret value appears nowhere');
    assert.ok(spans.length > 0 && logs.length > 0, 'the places searched were not empty');
  } finally {
    collector.close();
    await upstream.close();
  }
});
