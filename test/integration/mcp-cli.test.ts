// `airlock mcp approve` and `airlock mcp status` on a real config and data folder: approval pins a
// stdio server's prompts, resources and templates with its tools (audited), status shows each
// one's pin state, and revoke --kind drops one.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { loadOrCreateSignerKey } from '../../src/evidence/note/signer-key.ts';
import { openSqliteAuditLog } from '../../src/evidence/sqlite/audit-log.ts';
import { mcpCommand } from '../../src/mcp/cli-command.ts';
import { openPinStore, pinStorePath } from '../../src/mcp/pin-store.ts';

const CONTENT_SERVER = join(import.meta.dirname, '../fixtures/mcp/content-server.ts');
const dir = mkdtempSync(join(tmpdir(), 'airlock-mcp-cli-'));
const dataDir = join(dir, 'data');
mkdirSync(dataDir, { mode: 0o700 });
const config = join(dir, 'airlock.yaml');
writeFileSync(
  config,
  `version: 1
dataDir: ./data
listeners:
  client: { port: 0 }
mcp:
  servers:
    - name: memo
      transport: stdio
      command: node
      args: [${JSON.stringify(CONTENT_SERVER)}]
`,
);
after(() => rmSync(dir, { recursive: true, force: true }));

async function mcp(...argv: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  const code = await mcpCommand.run(argv, {
    stdout,
    stderr: new PassThrough(),
    env: { USER: 'tester' },
    cwd: dir,
  });
  return { code, out: Buffer.concat(out).toString('utf8') };
}

test('mcp approve pins prompts, resources and templates; status shows them; revoke --kind drops one; audited', async () => {
  const before = await mcp('status', '--config', config, '--json');
  assert.equal(before.code, 0);
  const unapproved = JSON.parse(before.out).content as { kind: string; id: string; pin: string }[];
  assert.ok(unapproved.length >= 5);
  assert.ok(unapproved.every((c) => c.pin === 'unapproved'));

  const approved = await mcp('approve', '--config', config, 'memo', '--json');
  assert.equal(approved.code, 0, approved.out);
  const report = JSON.parse(approved.out);
  assert.deepEqual(
    (report.content.approved as { kind: string; id: string }[]).map((a) => `${a.kind}:${a.id}`).sort(),
    [
      'prompts:internal_only',
      'prompts:leaky',
      'prompts:summarize',
      'resources:memo://private/plan',
      'resources:memo://public/key',
      'resources:memo://public/readme',
      'templates:memo://public/{name}',
    ],
  );
  const pins = openPinStore(pinStorePath(dataDir));
  assert.match(pins.getContent('memo', 'prompts', 'summarize')?.hash ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal(pins.getContent('memo', 'prompts', 'summarize')?.approvedBy, 'cli:tester');

  const after = JSON.parse((await mcp('status', '--config', config, '--json')).out).content as {
    pin: string;
  }[];
  assert.equal(after.length, unapproved.length);
  assert.ok(after.every((c) => c.pin === 'approved'));

  // Revoking one prompt hides it until approved again; the others keep their pins.
  const revoked = await mcp('revoke', '--config', config, 'memo', 'leaky', '--kind', 'prompts', '--json');
  assert.equal(revoked.code, 0, revoked.out);
  const status = JSON.parse((await mcp('status', '--config', config, '--json')).out).content as {
    kind: string;
    id: string;
    pin: string;
  }[];
  assert.deepEqual(
    status.filter((c) => c.pin !== 'approved').map((c) => `${c.kind}:${c.id}:${c.pin}`),
    ['prompts:leaky:unapproved'],
  );
  assert.equal((await mcp('revoke', '--config', config, 'memo', 'leaky', '--kind', 'prompts')).code, 1);

  const signer = loadOrCreateSignerKey(join(dataDir, 'secrets', 'audit-signing.key'), 'airlock.local/audit');
  const log = openSqliteAuditLog({ path: join(dataDir, 'audit.db'), signer });
  const entries = (await log.entries(0, await log.size())).map(
    (e) =>
      JSON.parse(Buffer.from(e.data).toString('utf8')) as { type: string; detail?: Record<string, unknown> },
  );
  await log.close();
  const change = entries.find((e) => e.type === 'admin.change' && e.detail?.kind === 'mcp.tools.approved');
  assert.ok(change, 'approval audited');
  assert.equal((change.detail as { content: { approved: unknown[] } }).content.approved.length, 7);
  assert.ok(entries.some((e) => e.type === 'admin.change' && e.detail?.kind === 'mcp.content.revoked'));
});
