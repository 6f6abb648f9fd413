import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { doctorCommand } from './doctor.ts';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const code = await doctorCommand.run(argv, { stdout, stderr, env: {}, cwd: process.cwd() });
  return { code, out, err };
}

test('airlock doctor --config FILE --json: one JSON report, exit 1 on a public upstream', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-doctor-cli-'));
  try {
    const file = join(dir, 'airlock.yaml');
    await writeFile(
      file,
      'version: 1\ndataDir: ./data\nlisteners:\n  client:\n    port: 8080\nupstreams:\n  - name: cloud\n    kind: openai\n    baseUrl: https://8.8.4.4/v1\n',
    );
    const json = await run(['--config', file, '--json']);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.out);
    assert.equal(report.targets[0].host, '8.8.4.4');
    assert.ok(report.findings.some((f: { code: string }) => f.code === 'egress_public_target'));
    const text = await run(['--config', file]);
    assert.equal(text.code, 1);
    assert.match(text.out, /ERROR egress_public_target/);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'version: 2\n');
    const invalid = await run(['--config', bad]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.err, /version/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('airlock doctor without --config is a usage error', async () => {
  await assert.rejects(run([]), /--config is required/);
});
