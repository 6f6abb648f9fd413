import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { signerFromSeed } from '../note/signer-key.ts';
import { openSqliteAuditLog } from './audit-log.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-walckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('audit log: the checkpointer thread folds committed entries into the database file; commits never do', async () => {
  const path = join(dir, 'audit.db');
  const log = openSqliteAuditLog({
    path,
    signer: signerFromSeed('a.test/log', new Uint8Array(32)),
    walCheckpointIntervalMs: 20,
  });
  const before = statSync(path).size;
  // Far below the writer's 10,000-page backstop: only the checkpointer can move these pages.
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
});
