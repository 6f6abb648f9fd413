// P9 under a crash: the REAL gateway (`airlock serve`, egress guard and all) is killed with SIGKILL
// while 16 requests are in flight. Every request whose response completed must have both its
// `request.authorized` and `request.completed` entries in the audit log, the exported bundle must
// verify offline, and no stored checkpoint may cover entries that do not exist. Once per audit driver.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config/load.ts';
import { egressChildOptions } from '../../src/egress/child-options.ts';
import { buildEgressPolicy } from '../../src/egress/policy.ts';
import { exportAuditBundle } from '../../src/evidence/bundle/export.ts';
import { verifyAuditBundle } from '../../src/evidence/bundle/verify.ts';
import { auditConfigSchema } from '../../src/evidence/config.ts';
import { decodeEntry } from '../../src/evidence/entry.ts';
import { openAuditLog } from '../../src/evidence/open.ts';
import { type MockOpenAiUpstream, startMockOpenAiUpstream } from '../helpers/mock-openai-upstream.ts';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const IN_FLIGHT = 16;
/** Kill after this many completed responses, or after KILL_AFTER_MS, whichever comes first. */
const KILL_AT = 400;
const KILL_AFTER_MS = 3000;

function waitForLine(child: ChildProcess, pattern: RegExp, ms = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in ${ms} ms:\n${buf}`)), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before ${pattern}:\n${buf}`));
    });
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

async function pgAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Run the gateway, load it, SIGKILL it; returns the request ids whose responses completed. */
async function loadAndKill(
  configPath: string,
  opts: { preloadGuard?: boolean } = {},
): Promise<{ completed: string[]; failed: number }> {
  // The key is made by the CLI command in-process: `airlock keys` as a child runs under a deny-all
  // egress guard that (today) refuses a PostgreSQL store.
  let stdout = '';
  const code = await main(
    ['keys', 'create', '--config', configPath, '--owner', 'crash', '--ttl', '1h', '--json'],
    {
      stdout: new Writable({
        write(chunk: Buffer, _enc, cb) {
          stdout += chunk.toString();
          cb();
        },
      }),
      stderr: process.stderr,
      env: process.env,
      cwd: process.cwd(),
    },
  );
  assert.equal(code, 0, 'airlock keys create failed');
  const key = JSON.parse(stdout).key as string;
  // preloadGuard: the guard comes from the --require preload with the policy serve would set (how
  // airlock starts its own children), because `serve` opens a PostgreSQL audit log before it widens
  // its own deny-all guard to store.url (src/start.ts).
  const guard = opts.preloadGuard
    ? egressChildOptions(buildEgressPolicy((await loadConfig(configPath)).config))
    : undefined;
  const child = spawn(process.execPath, [...(guard?.execArgv ?? []), BIN, 'serve', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...(guard?.env ?? {}) },
  });
  try {
    const url = JSON.parse(await waitForLine(child, /"msg":"airlock ready"/)).client as string;
    const completed: string[] = [];
    let failed = 0;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(kill, KILL_AFTER_MS);
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'crash me' }] });
    const loop = async () => {
      while (!killed) {
        try {
          const res = await fetch(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body,
          });
          const text = await res.text();
          const id = res.headers.get('x-request-id');
          if (res.status === 200 && id !== null && JSON.parse(text).choices !== undefined) {
            completed.push(id);
            if (completed.length >= KILL_AT) kill();
          } else failed++;
        } catch {
          failed++; // the gateway died with this request in flight
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
    clearTimeout(timer);
    return { completed, failed };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
}

async function verifyAfterCrash(
  dir: string,
  audit: Record<string, unknown>,
  storeUrl: string | undefined,
  completed: readonly string[],
): Promise<string> {
  const opened = await openAuditLog(auditConfigSchema.parse(audit), {
    dataDir: dir,
    ...(storeUrl === undefined ? {} : { storeUrl }),
  });
  const { log, signer } = opened;
  try {
    const size = await log.size();
    for (const cp of await log.checkpoints())
      assert.ok(cp.size <= size, `checkpoint of size ${cp.size} covers entries beyond ${size}`);
    for (const id of completed) {
      const kinds = (await log.entriesByRequest(id)).map((e) => {
        const { entry } = decodeEntry(e.data);
        return `${entry.type}:${entry.outcome}`;
      });
      assert.ok(kinds.includes('request.authorized:allow'), `${id} answered without its authorized entry`);
      assert.ok(kinds.includes('request.completed:allow'), `${id} answered without its completed entry`);
    }
    const out = join(dir, 'bundle');
    await exportAuditBundle(log, out, { origin: signer.name, vkey: signer.vkey });
    const report = verifyAuditBundle(out, { publicKey: signer.vkey });
    assert.equal(report.ok, true, JSON.stringify(report.problems.slice(0, 3)));
    const cps = await log.checkpoints();
    return `log size ${size}, ${cps.length} checkpoints (latest ${cps.at(-1)?.size ?? 'none'})`;
  } finally {
    await log.close();
  }
}

function writeConfig(dir: string, upstreamUrl: string, extra: Record<string, unknown>): string {
  const path = join(dir, 'airlock.yaml');
  writeFileSync(
    path,
    stringify({
      version: 1,
      dataDir: '.',
      listeners: { client: { host: '127.0.0.1', port: 0 } },
      upstreams: [{ name: 'mock', kind: 'openai', baseUrl: upstreamUrl, health: { interval: '1h' } }],
      // A loopback mock has no weights to verify: the P7 exception is stated, as an operator would.
      custody: { exempt: [{ upstream: 'mock', reason: 'loopback mock upstream in a test' }] },
      models: [{ alias: 'm', targets: [{ upstream: 'mock', model: 'x' }] }],
      quotas: { perKey: { requestsPerMinute: 1_000_000, concurrency: 1024, tokensPerDay: 1_000_000_000 } },
      ...extra,
    }),
  );
  return path;
}

describe('gateway SIGKILL under load: no answered request is missing from the audit log', () => {
  let upstream: MockOpenAiUpstream;
  before(async () => {
    upstream = await startMockOpenAiUpstream({ chunkCount: 3 });
  });
  after(() => upstream.close());

  test('sqlite store and audit log', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-gwcrash-'));
    try {
      const { completed, failed } = await loadAndKill(writeConfig(dir, upstream.url, {}));
      assert.ok(completed.length > 0, `no request completed (${failed} failed)`);
      const log = await verifyAfterCrash(dir, {}, undefined, completed);
      t.diagnostic(`${completed.length} answered, ${failed} cut off by the kill; ${log}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('postgres store and audit log', async (t) => {
    const dbName = `airlock_gwcrash_${process.pid}_${randomBytes(3).toString('hex')}`;
    const url = `postgres://postgres@127.0.0.1:5432/${dbName}`;
    // CREATE DATABASE copies template1 and fails while another suite is copying it: retry that case.
    for (let attempt = 1; ; attempt++) {
      try {
        await pgAdmin(`CREATE DATABASE ${dbName}`);
        break;
      } catch (err) {
        if (attempt >= 10 || !/being accessed by other users/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'airlock-gwcrash-pg-'));
    try {
      const audit = { driver: 'postgres' };
      const config = writeConfig(dir, upstream.url, { store: { driver: 'postgres', url }, audit });
      const { completed, failed } = await loadAndKill(config, { preloadGuard: true });
      assert.ok(completed.length > 0, `no request completed (${failed} failed)`);
      const log = await verifyAfterCrash(dir, audit, url, completed);
      t.diagnostic(`${completed.length} answered, ${failed} cut off by the kill; ${log}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await pgAdmin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    }
  });
});
