// The worker supervisor against real worker processes: scrubbed environment, restart after kill -9
// mid-stream on the same port, clean stop, fail-fast first start, and workers that die with their
// parent even when the parent is killed with SIGKILL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { AirlockError } from '../../src/errors.ts';
import { writeDemoModel } from '../../src/inference/worker/demo-model.ts';
import { createWorkerSupervisor, type WorkerEvent } from '../../src/inference/worker/supervisor.ts';

const silent = { info() {}, warn() {}, error() {} };
const supervisorModule = pathToFileURL(
  join(import.meta.dirname, '../../src/inference/worker/supervisor.ts'),
).href;
const entry = join(import.meta.dirname, '../../src/inference/worker/entry.ts');
let dir: string;
let modelPath: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-worker-sup-'));
  modelPath = join(dir, 'demo.gguf');
  await writeDemoModel(modelPath);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Alive and not a zombie waiting for a reaper. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const statLine = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return !/^\d+ \(.*\) Z/.test(statLine);
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  limitMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await sleep(50);
  }
}

const chat = { model: 'demo', messages: [{ role: 'user' as const, content: 'hello' }] };

test('supervisor: scrubbed environment, restart after kill -9 mid-stream on the same port, clean stop', async () => {
  process.env['AIRLOCK_TEST_SECRET'] = 'do-not-inherit';
  const events: WorkerEvent[] = [];
  const sup = createWorkerSupervisor(
    { name: 'demo', modelPath, contextSize: 512, port: 0, threads: 1 },
    { logger: silent, onEvent: (e) => events.push(e), extraEnv: { AIRLOCK_WORKER_MARK: 'passed' } },
    { backoffBaseMs: 50, healthIntervalMs: 200 },
  );
  try {
    const { baseUrl } = await sup.start();
    assert.ok(sup.healthy());
    const pid = sup.pid()!;
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').filter(Boolean);
    const keys = environ.map((kv) => kv.slice(0, kv.indexOf('=')));
    assert.ok(!keys.includes('AIRLOCK_TEST_SECRET'), 'gateway variables are not inherited');
    assert.ok(environ.includes('AIRLOCK_WORKER_MARK=passed'), 'extraEnv is passed');
    assert.ok(environ.includes('NODE_LLAMA_CPP_SKIP_DOWNLOAD=true'));
    const home = environ.find((kv) => kv.startsWith('HOME='))!.slice(5);
    assert.notEqual(home, process.env['HOME']);

    const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ ...chat, max_tokens: 450, stream: true });
    let finish: string | null = null;
    let streamError: unknown;
    try {
      for await (const chunk of stream) {
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (events.every((e) => e.type !== 'exited')) process.kill(pid, 'SIGKILL');
      }
    } catch (err) {
      streamError = err;
    }
    assert.equal(finish, null, `the stream never claims to have finished (error: ${String(streamError)})`);

    await waitUntil('restarted worker ready', () => events.filter((e) => e.type === 'ready').length === 2);
    // A health check may time out on a loaded machine while the worker generates; that event is
    // legitimate and not what this test is about.
    const types = events.map((e) => e.type).filter((t) => t !== 'unhealthy');
    assert.deepEqual(types.slice(0, 5), ['started', 'ready', 'exited', 'restarting', 'started']);
    assert.equal(sup.baseUrl(), baseUrl, 'the restarted worker reuses the port');
    assert.notEqual(sup.pid(), pid);
    const res = await client.chat.completions.create({ ...chat, max_tokens: 4 });
    assert.ok(res.choices[0]!.message.content!.length > 0);

    const second = sup.pid()!;
    await sup.stop();
    assert.equal(await isAlive(second), false, 'stop() leaves no worker behind');
    await assert.rejects(stat(home), { code: 'ENOENT' }, 'the private HOME is removed');
    assert.equal(sup.baseUrl(), undefined);
    assert.equal(sup.healthy(), false);
  } finally {
    delete process.env['AIRLOCK_TEST_SECRET'];
    await sup.stop();
  }
});

test('supervisor: a wedged worker (SIGSTOP) fails health checks and is replaced', async () => {
  const events: WorkerEvent[] = [];
  const sup = createWorkerSupervisor(
    { name: 'demo', modelPath, contextSize: 256, port: 0, threads: 1 },
    { logger: silent, onEvent: (e) => events.push(e) },
    { healthIntervalMs: 100, healthTimeoutMs: 100, maxHealthFailures: 2, backoffBaseMs: 10 },
  );
  try {
    await sup.start();
    const pid = sup.pid()!;
    process.kill(pid, 'SIGSTOP');
    await waitUntil('replacement ready', () => events.filter((e) => e.type === 'ready').length === 2);
    assert.ok(events.some((e) => e.type === 'unhealthy'));
    assert.equal(await isAlive(pid), false, 'the wedged worker was killed');
    assert.ok(sup.healthy());
  } finally {
    await sup.stop();
  }
});

test('supervisor: a worker that cannot start fails start() and is not restarted', async () => {
  const events: WorkerEvent[] = [];
  const sup = createWorkerSupervisor(
    { name: 'broken', modelPath: join(dir, 'missing.gguf'), contextSize: 512, port: 0 },
    { logger: silent, onEvent: (e) => events.push(e) },
    { backoffBaseMs: 10 },
  );
  await assert.rejects(sup.start(), (e) => e instanceof AirlockError && e.code === 'upstream_unavailable');
  await sleep(100);
  assert.deepEqual(
    events.map((e) => e.type),
    ['started', 'exited'],
  );
});

test('worker: exits when its parent is killed with SIGKILL (stdin closes)', async () => {
  const script = `
    import { createWorkerSupervisor } from ${JSON.stringify(supervisorModule)};
    const sup = createWorkerSupervisor(
      { name: 'orphan', modelPath: ${JSON.stringify(modelPath)}, contextSize: 256, port: 0, threads: 1 },
      { logger: { info() {}, warn() {}, error() {} } },
    );
    await sup.start();
    process.stdout.write(JSON.stringify({ pid: sup.pid() }) + '\\n');
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' },
  });
  try {
    const [line] = await createInterface({ input: parent.stdout! })
      [Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value as string]);
    const workerPid = (JSON.parse(line!) as { pid: number }).pid;
    assert.ok(await isAlive(workerPid));
    parent.kill('SIGKILL');
    await waitUntil('orphaned worker exits', async () => !(await isAlive(workerPid)));
  } finally {
    parent.kill('SIGKILL');
  }
});

test('worker: refuses a non-loopback host', async () => {
  for (const host of ['0.0.0.0', '10.1.2.3', 'localhost']) {
    const child = spawn(process.execPath, [entry, '--model', modelPath, '--host', host], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2, host);
    assert.match(stderr, /loopback/);
  }
});
