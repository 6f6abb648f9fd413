// `airlock witness` as a real child process on loopback: init, serve, cosign a growing log, SIGKILL,
// restart on the same state — it still refuses a rollback and keeps its key — then SIGTERM exits 0.
// Runs `bin/airlock.js witness` once the command is in the registry; until then the same command
// object is run by a one-line module entry.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../../src/cli/args.ts';
import { witnessCommand } from '../../src/cli/commands/witness.ts';
import { loadOrCreateSignerKey } from '../../src/evidence/note/signer-key.ts';
import { openSqliteAuditLog } from '../../src/evidence/sqlite/audit-log.ts';
import type { AuditLog, Checkpoint, NoteSigner } from '../../src/evidence/types.ts';
import { requestCosignature } from '../../src/evidence/witness/client.ts';
import { verifyCosignedCheckpoint } from '../../src/evidence/witness/cosign-policy.ts';
import { formatAddCheckpoint } from '../../src/evidence/witness/protocol.ts';

const REPO = resolve(import.meta.dirname, '../..');
const registered = readFileSync(join(REPO, 'src/cli/registry.ts'), 'utf8').includes('witnessCommand');

let root = '';
let signer: NoteSigner;
let log: AuditLog;
let vkey = '';
const children = new Set<ChildProcess>();

function spawnWitness(...argv: string[]): ChildProcess {
  const entry = `const { witnessCommand } = await import(${JSON.stringify(pathToFileURL(join(REPO, 'src/cli/commands/witness.ts')).href)});
process.exitCode = await witnessCommand.run(JSON.parse(process.env.WITNESS_ARGV), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });`;
  const args = registered
    ? [join(REPO, 'bin/airlock.js'), 'witness', ...argv]
    : ['--input-type=module', '-e', entry];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', WITNESS_ARGV: JSON.stringify(argv) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function ready(child: ChildProcess): Promise<{ url: string; vkey: string }> {
  const stderr: string[] = [];
  child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()));
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`witness exited ${code}: ${stderr.join('')}`))),
  );
  const first = new Promise<string>((done) => lines.once('line', done));
  const line = await Promise.race([first, exited]);
  const msg = JSON.parse(line) as { event: string; url: string; vkey: string };
  assert.equal(msg.event, 'ready');
  return msg;
}

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.exitCode !== null || child.signalCode !== null
      ? done({ code: child.exitCode, signal: child.signalCode })
      : child.once('exit', (code, signal) => done({ code, signal })),
  );

async function grow(n: number): Promise<Checkpoint> {
  await log.appendMany(
    Array.from({ length: n }, (_, i) => ({
      type: 'usage' as const,
      outcome: 'info' as const,
      detail: { i },
    })),
  );
  return log.publishCheckpoint();
}

describe('airlock witness as a child process', () => {
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'airlock-witness-proc-'));
    signer = loadOrCreateSignerKey(join(root, 'log', 'audit-signing.key'), 'airlock.test/proc');
    log = openSqliteAuditLog({ path: join(root, 'log', 'audit.db'), signer });
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await log.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('init writes witness.yaml and a 0600 key and prints the witness vkey (--json)', async () => {
    const stdout = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    const code = await witnessCommand.run(
      [
        'init',
        '--data',
        'w',
        '--log-vkey',
        signer.vkey,
        '--name',
        'witness.test/proc',
        '--port',
        '0',
        '--json',
      ],
      { stdout, stderr: new PassThrough(), env: {}, cwd: root },
    );
    assert.equal(code, 0);
    const printed = JSON.parse(Buffer.concat(out).toString()) as { vkey: string; name: string };
    assert.equal(printed.name, 'witness.test/proc');
    assert.match(printed.vkey, /^witness\.test\/proc\+[0-9a-f]{8}\+/);
    assert.equal(statSync(join(root, 'w', 'witness.key')).mode & 0o777, 0o600);
    vkey = printed.vkey;
    await assert.rejects(
      witnessCommand.run(['init', '--data', 'w', '--log-vkey', signer.vkey], {
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        env: {},
        cwd: root,
      }),
      UsageError,
    );
  });

  it('serves, cosigns growth, survives kill -9 and still refuses a rollback after restart', async () => {
    const first = spawnWitness('--config', join(root, 'w', 'witness.yaml'));
    const a = await ready(first);
    assert.equal(a.vkey, vkey);
    const endpoint = { url: a.url, vkey };
    const cp1 = await grow(10);
    const r1 = await requestCosignature(endpoint, log, cp1);
    assert.ok(r1.ok, JSON.stringify(r1));
    const cp2 = await grow(15);
    const r2 = await requestCosignature(endpoint, log, cp2, { knownSize: cp1.size });
    assert.ok(r2.ok, JSON.stringify(r2));
    assert.equal(verifyCosignedCheckpoint(`${cp2.note}${r2.line}\n`, signer.vkey, [vkey], 1).ok, true);

    first.kill('SIGKILL');
    assert.equal((await exitOf(first)).signal, 'SIGKILL');

    const second = spawnWitness('--config', join(root, 'w', 'witness.yaml'));
    const b = await ready(second);
    assert.equal(b.vkey, vkey, 'the key survives the restart');
    const post = (old: number, note: string) =>
      fetch(`${b.url}/add-checkpoint`, {
        method: 'POST',
        body: formatAddCheckpoint({ oldSize: old, proof: [], note }),
      });
    const fromZero = await post(0, cp1.note);
    assert.equal(fromZero.status, 409);
    assert.equal(await fromZero.text(), `${cp2.size}\n`);
    assert.equal((await post(cp2.size, cp1.note)).status, 400);
    // The client re-proves from the witness's remembered size and is cosigned again.
    const cp3 = await grow(7);
    const r3 = await requestCosignature({ url: b.url, vkey }, log, cp3);
    assert.ok(r3.ok, JSON.stringify(r3));

    second.kill('SIGTERM');
    assert.deepEqual(await exitOf(second), { code: 0, signal: null });
  });
});
