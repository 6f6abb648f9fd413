// The README's quick start, as a user runs it: `airlock init` then `airlock serve`, and the official
// openai client calling the embedded demo model with the printed key. Then the embedded worker is
// killed mid-stream (clean error, restarted) and the gateway is stopped (its worker stops too).
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import canonicalize from 'canonicalize';
import OpenAI from 'openai';
import { leafHash } from '../../src/evidence/merkle/hash.ts';
import { verifyInclusion } from '../../src/evidence/merkle/verify.ts';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of `airlock worker` processes whose parent is `ppid` (read from /proc). */
function workerPids(ppid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (parent === ppid && cmd.includes('worker')) pids.push(Number(name));
    } catch {
      // the process went away while we looked
    }
  }
  return pids;
}

describe('quick start with the embedded demo model', () => {
  let dir: string;
  let child: ChildProcess;
  let init: { config: string; url: string; adminUrl: string; adminKey: string; clientKey: string };
  let client: OpenAI;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-quick-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const { stdout } = await promisify(execFile)(process.execPath, [
      BIN,
      'init',
      '--data',
      dir,
      '--port',
      String(port),
      '--json',
    ]);
    init = JSON.parse(stdout);
    child = spawn(process.execPath, [BIN, 'serve', '--config', init.config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`gateway not ready:\n${buf}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('"msg":"airlock ready"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}:\n${buf}`)));
    });
    client = new OpenAI({ apiKey: init.clientKey, baseURL: `${init.url}/v1`, maxRetries: 0 });
  });

  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('init printed separate admin and client credentials', () => {
    assert.match(init.adminKey, /^ala_/);
    assert.match(init.clientKey, /^alk_/);
    assert.notEqual(init.adminKey, init.clientKey);
  });

  test('chat JSON from the demo model with the printed client key', async () => {
    const res = await client.chat.completions.create({
      model: 'demo',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'hello' }],
    });
    assert.equal(res.model, 'demo');
    assert.ok((res.choices[0]?.message.content ?? '').length > 0);
    assert.ok((res.usage?.completion_tokens ?? 0) > 0);
  });

  test('chat streaming from the demo model', async () => {
    const stream = await client.chat.completions.create({
      model: 'demo',
      max_tokens: 8,
      stream: true,
      messages: [{ role: 'user', content: 'hello' }],
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.ok(text.length > 0);
    assert.ok(finish);
  });

  test('the admin key cannot call the model', async () => {
    const admin = new OpenAI({ apiKey: init.adminKey, baseURL: `${init.url}/v1`, maxRetries: 0 });
    await assert.rejects(
      admin.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'x' }] }),
      OpenAI.AuthenticationError,
    );
  });

  test('the admin API serves the audit trail of a request with a proof that verifies', async () => {
    const res = await fetch(`${init.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${init.clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'demo',
        max_tokens: 4,
        messages: [{ role: 'user', content: 'trace me' }],
      }),
    });
    assert.equal(res.status, 200);
    const requestId = res.headers.get('x-request-id')!;
    const admin = (path: string) =>
      fetch(`${init.adminUrl}${path}`, { headers: { authorization: `Bearer ${init.adminKey}` } });
    const trail = (await (await admin(`/admin/v1/audit/entries?requestId=${requestId}`)).json()) as {
      data: { index: number; type: string; detail: Record<string, unknown> }[];
    };
    assert.deepEqual(
      trail.data.map((e) => e.type),
      ['request.authorized', 'request.completed'],
    );
    assert.ok(!JSON.stringify(trail).includes('trace me'), 'prompts are hashed, not stored');
    assert.match(String(trail.data[0]!.detail.requestBodyHash), /^[0-9a-f]{64}$/);
    assert.equal(
      (
        await fetch(`${init.adminUrl}/admin/v1/audit/entries`, {
          headers: { authorization: `Bearer ${init.clientKey}` },
        })
      ).status,
      401,
    );

    // Wait for a checkpoint covering the entry, then check its inclusion proof offline.
    const entry = trail.data[1]!;
    let proof: { treeSize: number; proof: string[] } | undefined;
    let root: Buffer | undefined;
    for (let i = 0; i < 50 && !proof; i++) {
      const cps = (await (await admin('/admin/v1/audit/checkpoints')).json()) as {
        data: { size: number; root: string }[];
      };
      const cp = cps.data.at(-1);
      if (cp && cp.size > entry.index) {
        root = Buffer.from(cp.root, 'base64');
        proof = (await (
          await admin(`/admin/v1/audit/proofs/inclusion?index=${entry.index}&size=${cp.size}`)
        ).json()) as typeof proof;
      } else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(proof && root);
    const leaf = leafHash(Buffer.from(canonicalize(entry)!));
    const verdict = verifyInclusion(
      entry.index,
      proof.treeSize,
      leaf,
      proof.proof.map((p) => Buffer.from(p, 'base64')),
      root,
    );
    assert.ok(verdict.ok, JSON.stringify(verdict));
  });

  test('worker killed mid-stream: the stream errors cleanly and the worker is restarted', async () => {
    const [pid] = workerPids(child.pid!);
    assert.ok(pid, 'a worker process runs under the gateway');
    const stream = await client.chat.completions.create({
      model: 'demo',
      max_tokens: 400,
      stream: true,
      messages: [{ role: 'user', content: 'long' }],
    });
    await assert.rejects(async () => {
      let n = 0;
      for await (const _ of stream) if (++n === 2) process.kill(pid, 'SIGKILL');
    });
    // Wait for the supervisor to bring a new worker up (without sending requests that would trip
    // the circuit breaker meanwhile), then one request must succeed.
    for (let i = 0; i < 150; i++) {
      const fresh = workerPids(child.pid!).filter((p) => p !== pid);
      const ready = (await fetch(`${init.url}/readyz`)).status === 200;
      if (fresh.length > 0 && ready) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const res = await client.chat.completions.create({
      model: 'demo',
      max_tokens: 4,
      messages: [{ role: 'user', content: 'again' }],
    });
    assert.ok(res.choices.length > 0, 'the restarted worker serves again');
    assert.ok(!workerPids(child.pid!).includes(pid));
  });

  test('SIGTERM stops the gateway and its worker', async () => {
    const pids = workerPids(child.pid!);
    assert.ok(pids.length > 0);
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    for (let i = 0; i < 50 && pids.some(isAlive); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(pids.filter(isAlive), []);
  });
});
