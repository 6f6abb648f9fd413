// The CLI as operators script it: real child processes of bin/airlock.js.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';
import { mockGatewayConfig } from '../helpers/serve-harness.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
const airlock = (args: string[]) => run(process.execPath, [BIN, ...args], { env: { ...process.env } });

function waitForLine(child: ChildProcess, pattern: RegExp, ms = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in ${ms} ms:\n${buf}`)), ms);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}

describe('airlock CLI', () => {
  let dir: string;
  let upstream: MockOpenAiUpstream;
  let configPath: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
    upstream = await startMockOpenAiUpstream({ chunkCount: 3 });
    configPath = join(dir, 'airlock.yaml');
    writeFileSync(
      configPath,
      stringify(
        mockGatewayConfig(
          { mock: upstream.url },
          { models: [{ alias: 'm', targets: [{ upstream: 'mock', model: 'x' }] }] },
        ),
      ),
    );
  });
  after(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('config validate: ok, and an error that names the path and the fix', async () => {
    const ok = JSON.parse((await airlock(['config', 'validate', configPath, '--json'])).stdout);
    assert.equal(ok.valid, true);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'version: 1\ndataDir: .\nlisteners: { client: { port: 1 } }\nmodels: [{ alias: a, targets: [{ upstream: ghost, model: x }] }]\nbogus: 1\n',
    );
    const res = await airlock(['config', 'validate', bad, '--json']).catch(
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal((res as { code: number }).code, 1);
    const errors = JSON.parse((res as { stdout: string }).stdout).errors.join('\n');
    assert.match(errors, /models\.0\.targets\.0\.upstream: no upstream named "ghost"/);
    assert.match(errors, /unknown field\(s\) bogus/);
  });

  test('keys create --json prints {id,key,expiresAt}; list never shows keys; ttl is mandatory', async () => {
    const created = JSON.parse(
      (
        await airlock([
          'keys',
          'create',
          '--config',
          configPath,
          '--owner',
          'svc',
          '--models',
          'm',
          '--ttl',
          '24h',
          '--json',
        ])
      ).stdout,
    );
    assert.match(created.id, /^key_/);
    assert.match(created.key, /^alk_/);
    assert.ok(Date.parse(created.expiresAt) > Date.now());
    const listed = (await airlock(['keys', 'list', '--config', configPath, '--json'])).stdout;
    assert.ok(!listed.includes(created.key));
    assert.equal(JSON.parse(listed).keys.length, 1);
    const noTtl = await airlock(['keys', 'create', '--config', configPath, '--owner', 'svc']).catch(
      (e: { code: number }) => e,
    );
    assert.equal((noTtl as { code: number }).code, 2);
    assert.equal(statSync(join(dir, 'secrets', 'api-key-pepper')).mode & 0o777, 0o600);
  });

  test('doctor reports every address, the guard, and API keys near their expiry', async () => {
    const { stdout } = await airlock(['doctor', '--config', configPath, '--json']);
    const report = JSON.parse(stdout) as { findings: { level: string; code: string; message: string }[] };
    const codes = report.findings.map((f) => f.code);
    assert.ok(codes.includes('credential_expiring'), codes.join(', '));
    assert.ok(
      report.findings.some((f) => f.message.includes('127.0.0.1')),
      'the upstream address is listed',
    );
  });

  test('serve: answers, then drains an in-flight request on SIGTERM and exits 0', async () => {
    const created = JSON.parse(
      (await airlock(['keys', 'create', '--config', configPath, '--owner', 'drain', '--ttl', '1h', '--json']))
        .stdout,
    );
    const child = spawn(process.execPath, [BIN, 'serve', '--config', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await waitForLine(child, /"msg":"airlock ready"/);
    const url = JSON.parse(line).client as string;
    upstream.setBehaviour({ latencyMs: 700 });
    const inflight = fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    });
    await upstream.waitForRequests(upstream.requests.length + 1).catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const res = await inflight;
    upstream.setBehaviour({ latencyMs: 0 });
    assert.equal(res.status, 200);
    const exitCode = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(exitCode, 0);
  });
});
