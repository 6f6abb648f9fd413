import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startWriterThread } from './writer-thread.ts';

const run = promisify(execFile);
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-writer-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const data = () => ({
  path: join(dir, 'unused.db'),
  busyTimeoutMs: 10,
  signer: {
    name: 'a.test/log',
    keyId: new Uint8Array(4),
    privateKey: generateKeyPairSync('ed25519').privateKey,
  },
});

/** A writer whose commits crash the thread and whose probes succeed. */
function crashingWriter(): URL {
  const file = join(dir, 'crashing-writer.mjs');
  writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';
     parentPort.on('message', (m) => {
       if (m.op === 'commit') throw new Error('boom');
       parentPort.postMessage({ id: m.id, ok: true });
       if (m.op === 'close') parentPort.close();
     });`,
  );
  return pathToFileURL(file);
}

test('writer thread: a dead thread fails its request and later ones; a probe starts a fresh one', async () => {
  const writer = startWriterThread(data(), crashingWriter());
  const entry = {
    pre: '{"detail":{},"index":',
    post: ',"outcome":"info","type":"usage","v":1}',
    requestId: null,
  };
  await assert.rejects(writer.commit([entry], false), /audit writer thread exited \(code 1\): boom/);
  await assert.rejects(writer.commit([entry], false), /audit writer thread exited/);
  await writer.probe();
  await writer.close();
  await assert.rejects(writer.commit([entry], false), /closed/);
});

test('writer thread: starts under --input-type=module -e, and an idle one lets the process exit', async () => {
  const log = new URL('./audit-log.ts', import.meta.url).href;
  const keys = new URL('../note/signer-key.ts', import.meta.url).href;
  const { stdout } = await run(process.execPath, [
    '--input-type=module',
    '-e',
    `import { openSqliteAuditLog } from '${log}';
     import { signerFromSeed } from '${keys}';
     const log = openSqliteAuditLog({ path: ${JSON.stringify(join(dir, 'exit.db'))},
       signer: signerFromSeed('a.test/log', new Uint8Array(32)) });
     console.log(JSON.stringify(await log.append({ type: 'usage', outcome: 'info' })));`,
  ]);
  assert.deepEqual(JSON.parse(stdout), { index: 0 });
});

test('writer thread: starts (with the preload) when the process egress guard is installed first', async () => {
  const src = (p: string) => new URL(p, import.meta.url).href;
  const { stdout } = await run(process.execPath, [
    '--input-type=module',
    '-e',
    `import { installEgressGuard } from '${src('../../egress/guard.ts')}';
     import { denyAllEgressPolicy } from '${src('../../egress/policy.ts')}';
     installEgressGuard({ policy: denyAllEgressPolicy() });
     const { openSqliteAuditLog } = await import('${src('./audit-log.ts')}');
     const { signerFromSeed } = await import('${src('../note/signer-key.ts')}');
     const log = openSqliteAuditLog({ path: ${JSON.stringify(join(dir, 'guarded.db'))},
       signer: signerFromSeed('a.test/log', new Uint8Array(32)) });
     const r = await log.append({ type: 'usage', outcome: 'info' });
     await log.close();
     console.log(JSON.stringify(r));`,
  ]);
  assert.deepEqual(JSON.parse(stdout), { index: 0 });
});
