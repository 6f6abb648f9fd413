// `airlock audit` end to end on a real data folder: export → verify (offline) → prove → verify-proof →
// consistency → trace, every subcommand with --json, and a tampered bundle exiting non-zero with the
// divergent index.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { auditCommand } from '../../src/cli/commands/audit.ts';
import { loadOrCreateSignerKey } from '../../src/evidence/note/signer-key.ts';
import { openSqliteAuditLog } from '../../src/evidence/sqlite/audit-log.ts';

let data = '';

// biome-ignore lint/suspicious/noExplicitAny: tests read loosely shaped --json output
type Json = any;

async function cli(...argv: string[]): Promise<{ code: number; out: string; json: () => Json }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await auditCommand.run(argv, { stdout, stderr, env: {}, cwd: data });
  const out = Buffer.concat(chunks).toString('utf8');
  return { code, out, json: () => JSON.parse(out) };
}

describe('airlock audit CLI', () => {
  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'airlock-audit-cli-'));
    const signer = loadOrCreateSignerKey(join(data, 'secrets', 'audit-signing.key'), 'airlock.test/cli');
    const log = openSqliteAuditLog({ path: join(data, 'audit.db'), signer });
    for (let i = 0; i < 30; i++) {
      await log.append({
        type: 'authz.decision',
        outcome: i % 4 === 0 ? 'deny' : 'allow',
        requestId: `req-${i % 5}`,
        detail: { i },
      });
      if (i === 9) await log.publishCheckpoint();
    }
    await log.close();
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  it('export then verify with the trusted key → exit 0', async () => {
    const exp = await cli('export', '--data', '.', '--out', 'bundle', '--json');
    assert.equal(exp.code, 0);
    assert.equal(exp.json().size, 30);
    const vkey = readFileSync(join(data, 'bundle', 'verifier.vkey'), 'utf8').trim();
    const ver = await cli('verify', 'bundle', '--key', vkey, '--json');
    assert.equal(ver.code, 0, ver.out);
    assert.equal(ver.json().ok, true);
    assert.equal(ver.json().keySource, 'given');
    const human = await cli('verify', 'bundle');
    assert.match(human.out, /^OK: 30 entries/);
    assert.match(human.out, /warning: verified with the key inside the bundle/);
  });

  it('verify of a tampered bundle → exit 1 naming the divergent index', async () => {
    await cli('export', '--data', '.', '--out', 'bundle2');
    const file = join(data, 'bundle2', 'entries.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"outcome":"deny"', '"outcome":"allow"'));
    const r = await cli('verify', 'bundle2', '--json');
    assert.equal(r.code, 1);
    assert.equal(r.json().firstDivergentIndex, 0);
    const human = await cli('verify', 'bundle2');
    assert.match(human.out, /FAILED: first divergent entry index 0/);
  });

  it('prove then verify-proof (c2sp.org/tlog-proof) → exit 0; a changed entry → exit 1', async () => {
    const p = await cli('prove', '17', '--data', '.', '--out', 'e17.tlog-proof', '--json');
    assert.equal(p.code, 0);
    const text = readFileSync(join(data, 'e17.tlog-proof'), 'utf8');
    assert.match(text, /^c2sp\.org\/tlog-proof@v1\nextra [A-Za-z0-9+/=]+\nindex 17\n/);
    const v = await cli('verify-proof', 'e17.tlog-proof', '--data', '.', '--json');
    assert.equal(v.code, 0, v.out);
    assert.equal(v.json().entry.detail.i, 17);
    const lines = text.split('\n');
    const entry = Buffer.from(lines[1]!.slice(6), 'base64').toString('utf8').replace('"i":17', '"i":18');
    lines[1] = `extra ${Buffer.from(entry).toString('base64')}`;
    writeFileSync(join(data, 'bad.tlog-proof'), lines.join('\n'));
    assert.equal((await cli('verify-proof', 'bad.tlog-proof', '--data', '.')).code, 1);
  });

  it('consistency between two stored checkpoints → verified', async () => {
    const r = await cli('consistency', '10', '30', '--data', '.', '--json');
    assert.equal(r.code, 0, r.out);
    assert.equal(r.json().verified, true);
  });

  it('trace lists one request in order', async () => {
    const r = await cli('trace', 'req-2', '--data', '.', '--json');
    assert.equal(r.code, 0);
    assert.deepEqual(
      r.json().entries.map((e: { index: number }) => e.index),
      [2, 7, 12, 17, 22, 27],
    );
  });
});
