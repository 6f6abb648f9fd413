// The gateway's way of starting a worker: `node --require <egress preload> bin/airlock.js worker ...`
// with the egress policy in the environment. The worker must start and serve under the guard.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { egressChildOptions } from '../../src/egress/child-options.ts';
import { denyAllEgressPolicy } from '../../src/egress/policy.ts';
import { writeDemoModel } from '../../src/inference/worker/demo-model.ts';
import { createWorkerSupervisor } from '../../src/inference/worker/supervisor.ts';

const cliEntry = join(import.meta.dirname, '../../bin/airlock.js');

test('worker via bin/airlock.js under the egress guard preload', {
  skip: !existsSync(cliEntry),
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-worker-cli-'));
  const lines: Record<string, unknown>[] = [];
  const log = (fields: Record<string, unknown>) => lines.push(fields);
  const child = egressChildOptions(denyAllEgressPolicy());
  const sup = createWorkerSupervisor(
    { name: 'demo', modelPath: join(dir, 'demo.gguf'), contextSize: 256, port: 0, threads: 1 },
    { logger: { info: log, warn: log, error: log }, cliEntry, execArgv: child.execArgv, extraEnv: child.env },
  );
  try {
    await writeDemoModel(join(dir, 'demo.gguf'));
    const { baseUrl } = await sup.start();
    const cmdline = (await readFile(`/proc/${sup.pid()}/cmdline`, 'utf8')).split('\0');
    assert.ok(cmdline.includes('--require') && cmdline.includes('worker'), cmdline.join(' '));
    const res = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { usage: { completion_tokens: number } };
    assert.ok(body.usage.completion_tokens >= 1);
    assert.ok(
      !lines.some((l) => l['event'] === 'egress_denied'),
      'loading and serving a GGUF needs no egress',
    );
  } finally {
    await sup.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
