// The evidence plane as an operator configures it, through the real `airlock serve`: committed audit
// entries are copied to a JSON Lines file byte-for-byte as their Merkle leaves, and every request
// sends one OpenTelemetry trace (a server span plus one span per pipeline stage) to a collector on
// loopback — the collector's address allowed by the egress policy because the config names it.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import { BIN, createKey, startServe, stopServe } from '../helpers/serve-harness.ts';

const run = promisify(execFile);

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

describe('audit exports and traces through airlock serve', () => {
  let dir: string;
  let upstream: MockOpenAiUpstream;
  let collector: Server;
  const spans: OtlpSpan[] = [];
  let child: ChildProcess;
  let url: string;
  let key: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-exports-'));
    upstream = await startMockOpenAiUpstream({ chunkCount: 3 });
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const otlpPort = (collector.address() as AddressInfo).port;
    const config = join(dir, 'airlock.yaml');
    writeFileSync(
      config,
      stringify({
        version: 1,
        dataDir: '.',
        listeners: { client: { host: '127.0.0.1', port: 0 } },
        upstreams: [{ name: 'mock', kind: 'openai', baseUrl: upstream.url }],
        // A loopback mock has no weights to verify: the P7 exception is stated, as an operator would.
        custody: { exempt: [{ upstream: 'mock', reason: 'loopback mock upstream in a test' }] },
        models: [{ alias: 'm', targets: [{ upstream: 'mock', model: 'x' }] }],
        audit: { checkpointInterval: '100ms', exports: [{ kind: 'jsonl', path: 'exports/audit.jsonl' }] },
        tracing: { endpoint: `http://127.0.0.1:${otlpPort}/v1/traces`, interval: '100ms' },
      }),
    );
    key = await createKey(config, '--owner', 'exp');
    const served = await startServe(config);
    child = served.child;
    url = served.client;
  });

  after(async () => {
    await stopServe(child);
    collector.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one request: its entries in the JSONL export and one trace with a span per stage', async () => {
    const traceId = 'c'.repeat(32);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${'d'.repeat(16)}-01`,
      },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 200);
    const requestId = res.headers.get('x-request-id')!;

    let lines: string[] = [];
    for (let i = 0; i < 100; i++) {
      try {
        lines = readFileSync(join(dir, 'exports', 'audit.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean);
      } catch {}
      if (lines.filter((l) => l.includes(requestId)).length === 2 && spans.some((s) => s.name === 'record'))
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const mine = lines
      .filter((l) => l.includes(requestId))
      .map((l) => JSON.parse(l) as { type: string; index: number });
    assert.deepEqual(
      mine.map((e) => e.type),
      ['request.authorized', 'request.completed'],
    );

    const trace = spans.filter((s) => s.traceId === traceId);
    const root = trace.find((s) => s.parentSpanId === 'd'.repeat(16));
    assert.ok(root, 'the request span continues the caller trace');
    const stages = trace.filter((s) => s.parentSpanId === root.spanId).map((s) => s.name);
    for (const stage of ['authenticate', 'resolve', 'authorize', 'quota', 'inspect-in', 'forward', 'record'])
      assert.ok(stages.includes(stage), `span for ${stage} (got ${stages.join(', ')})`);

    // The export is a derived copy: its lines are exactly the Merkle leaves the offline verifier checks.
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    const out = join(dir, 'bundle');
    await run(process.execPath, [
      BIN,
      'audit',
      'export',
      '--config',
      join(dir, 'airlock.yaml'),
      '--out',
      out,
    ]);
    const leaves = new Set(readFileSync(join(out, 'entries.jsonl'), 'utf8').split('\n').filter(Boolean));
    for (const line of lines) assert.ok(leaves.has(line), 'every exported line is a leaf of the log');
    for (const file of ['audit.db', 'airlock.db', 'exports/audit.jsonl'])
      assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600, `${file} is readable by its owner only`);
  });
});
