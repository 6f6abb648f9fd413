import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { signerFromSeed } from '../note/signer-key.ts';
import { openSqliteAuditLog, type SqliteAuditLogOptions } from './audit-log.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-walckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Appends 400 entries (far below the writer's 10,000-page backstop: only the checkpointer can move
 *  these pages), waits for the database file to grow, and checks every entry is in the file. */
async function foldsTheWal(name: string, pacing: Partial<SqliteAuditLogOptions>): Promise<void> {
  const path = join(dir, name);
  const log = openSqliteAuditLog({
    path,
    signer: signerFromSeed('a.test/log', new Uint8Array(32)),
    walCheckpointIntervalMs: 20,
    ...pacing,
  });
  const before = statSync(path).size;
  for (let i = 0; i < 20; i++)
    await Promise.all(
      Array.from({ length: 20 }, () =>
        log.append({ type: 'usage', outcome: 'info', detail: { pad: 'x'.repeat(900) } }),
      ),
    );
  // Bounded wait for the background thread (not a timing assertion: it only has to happen).
  for (let i = 0; i < 500 && statSync(path).size <= before; i++) await sleep(20);
  assert.ok(statSync(path).size > before, 'the database file grew: the WAL was checkpointed into it');
  await log.close();
  // Everything is there after close, read straight from the file.
  const db = new Database(path, { readonly: true });
  assert.equal(db.prepare('SELECT count(*) FROM audit_entries').pluck().get(), 400);
  db.close();
}

test('audit log: the checkpointer folds a backlog that passed minFrames; commits never do', async () => {
  await foldsTheWal('frames.db', { walCheckpointMinFrames: 1, walCheckpointMaxWaitMs: 3_600_000 });
});

test('audit log: the checkpointer folds a backlog below minFrames once maxWaitMs has passed', async () => {
  await foldsTheWal('wait.db', { walCheckpointMinFrames: 1_000_000_000, walCheckpointMaxWaitMs: 20 });
});

/** proc(5) stat field 19 (nice) of every thread of this process. */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

test('audit log: the checkpointer thread runs at a lower priority than the request path (Linux)', async () => {
  const log = openSqliteAuditLog({
    path: join(dir, 'nice.db'),
    signer: signerFromSeed('a.test/log', new Uint8Array(32)),
  });
  await log.append({ type: 'usage', outcome: 'info', detail: {} }); // the log (and its threads) are up
  for (let i = 0; i < 500 && !threadNices().includes(10); i++) await sleep(20);
  const nices = threadNices();
  await log.close();
  assert.equal(nices.filter((n) => n === 10).length, 1, 'one thread, the checkpointer, at nice 10');
  assert.ok(nices.filter((n) => n === 0).length >= 2, 'the main and writer threads keep nice 0');
});
