// Witnessing end to end, as an assessor would set it up: a separate `airlock witness` process with
// its own key; `airlock serve` publishes its checkpoints to it; the exported bundle then verifies
// offline only when the witness cosigned (k of n).
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
const run = promisify(execFile);
const airlock = (...args: string[]) => run(process.execPath, [BIN, ...args]);

function readyLine(child: ChildProcess, pattern: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.includes(pattern));
      if (line) resolve(line);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${buf}`)));
  });
}

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'airlock-witnessed-'));
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('checkpoints published by serve are cosigned by a witness; verify --witness --k 1 accepts the bundle', async () => {
  const upstream = await startMockOpenAiUpstream({ chunkCount: 2 });
  try {
    const config = join(dir, 'airlock.yaml');
    const base = {
      version: 1,
      dataDir: '.',
      listeners: { client: { host: '127.0.0.1', port: 0 } },
      upstreams: [{ name: 'mock', kind: 'openai', baseUrl: upstream.url }],
      // A loopback mock has no weights to verify: the P7 exception is stated, as an operator would.
      custody: { exempt: [{ upstream: 'mock', reason: 'loopback mock upstream in a test' }] },
      models: [{ alias: 'm', targets: [{ upstream: 'mock', model: 'x' }] }],
    };
    writeFileSync(config, stringify(base));
    // Creating a key opens the log (and its signing key); the export names the log's verifier key.
    const key = JSON.parse(
      (await airlock('keys', 'create', '--config', config, '--owner', 'w', '--ttl', '1h', '--json')).stdout,
    ).key;
    const first = JSON.parse(
      (await airlock('audit', 'export', '--config', config, '--out', join(dir, 'b0'), '--json')).stdout,
    );
    const logVkey = first.vkey as string;

    const witnessDir = join(dir, 'witness');
    const w = JSON.parse(
      (await airlock('witness', 'init', '--data', witnessDir, '--log-vkey', logVkey, '--port', '0', '--json'))
        .stdout,
    );
    const witness = spawn(process.execPath, [BIN, 'witness', '--config', w.config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(witness);
    const witnessUrl = JSON.parse(await readyLine(witness, '"event":"ready"')).url as string;

    writeFileSync(
      config,
      stringify({
        ...base,
        audit: {
          checkpointInterval: '100ms',
          witnessing: { witnesses: [{ url: witnessUrl, vkey: w.vkey }], k: 1, interval: '200ms' },
        },
      }),
    );
    const serve = spawn(process.execPath, [BIN, 'serve', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(serve);
    const url = JSON.parse(await readyLine(serve, '"msg":"airlock ready"')).client as string;
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 1500));
    serve.kill('SIGTERM');
    await new Promise((r) => serve.on('exit', r));

    const out = join(dir, 'bundle');
    const exported = JSON.parse(
      (await airlock('audit', 'export', '--config', config, '--out', out, '--json')).stdout,
    );
    assert.ok(exported.cosigned >= 1, 'at least one cosigned checkpoint exported');
    const verified = await airlock(
      'audit',
      'verify',
      out,
      '--key',
      logVkey,
      '--witness',
      w.vkey,
      '--k',
      '1',
      '--json',
    );
    const report = JSON.parse(verified.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.witnesses.ok, true);
    assert.ok(report.witnesses.witnessedSize >= 3);

    // An unknown witness key cannot satisfy the policy: verification fails closed.
    const other = JSON.parse(
      (await airlock('witness', 'init', '--data', join(dir, 'w2'), '--log-vkey', logVkey, '--json')).stdout,
    );
    const refused = await airlock(
      'audit',
      'verify',
      out,
      '--key',
      logVkey,
      '--witness',
      other.vkey,
      '--k',
      '1',
      '--json',
    ).catch((e: { code: number; stdout: string }) => e);
    assert.equal((refused as { code: number }).code, 1);
    assert.ok(readFileSync(join(out, 'entries.jsonl'), 'utf8').length > 0);
  } finally {
    await upstream.close();
  }
});
