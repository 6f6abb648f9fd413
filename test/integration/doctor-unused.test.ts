// Unused credentials (P2): `airlock doctor` flags API keys and local users idle for longer than
// identity.unusedAfter, in text and --json; the users repos report the latest session per user on
// both store drivers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { doctorCommand } from '../../src/cli/commands/doctor.ts';
import { keysCommand } from '../../src/cli/commands/keys.ts';
import { usersCommand } from '../../src/cli/commands/users.ts';
import type { CliCommand } from '../../src/cli/types.ts';
import { userRepoFor } from '../../src/identity/users/open-users.ts';
import { openSideConnection } from '../../src/secrets/side-connection.ts';
import { createHarness } from './vault-harness.ts';

let dir = '';
const configWith = (unusedAfter?: string) => {
  const path = join(dir, `airlock-${unusedAfter ?? 'default'}.yaml`);
  writeFileSync(
    path,
    `version: 1\ndataDir: ./data\nlisteners:\n  client:\n    port: 0\n${unusedAfter ? `identity:\n  unusedAfter: ${unusedAfter}\n` : ''}`,
  );
  return path;
};
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-doctor-unused-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(cmd: CliCommand, argv: string[], stdin = '') {
  let out = '';
  const io = {
    stdout: new Writable({
      write(chunk, _e, cb) {
        out += String(chunk);
        cb();
      },
    }),
    stderr: new Writable({ write: (_c, _e, cb) => cb() }),
    env: { USER: 'tester' },
    cwd: dir,
    stdin: Readable.from([Buffer.from(stdin)]),
  };
  const code = await cmd.run(argv, io);
  return { code, out };
}

type Finding = { level: string; code: string; message: string };

test('doctor: an idle key and a user who never logged in are flagged past unusedAfter; --json and text', async () => {
  const strict = configWith('1ms');
  const relaxed = configWith();
  const key = JSON.parse(
    (await run(keysCommand, ['create', '--config', strict, '--owner', 'batch', '--ttl', '30d', '--json']))
      .out,
  );
  await run(
    usersCommand,
    ['create', '--config', strict, '--name', 'auditor', '--role', 'user'],
    'a long enough password\n',
  );

  const flagged = JSON.parse((await run(doctorCommand, ['--config', strict, '--json'])).out) as {
    findings: Finding[];
  };
  const unused = flagged.findings.filter((f) => f.code === 'credential_unused');
  assert.equal(unused.length, 2, JSON.stringify(unused));
  assert.ok(unused.every((f) => f.level === 'warn'));
  assert.ok(
    unused.some((f) => f.message.startsWith(`client key ${key.id} (`) && f.message.includes('never used')),
  );
  assert.ok(unused.some((f) => /^user user auditor \(/.test(f.message)));
  assert.ok(!JSON.stringify(flagged).includes(key.key), 'the key itself is never printed');
  const text = (await run(doctorCommand, ['--config', strict])).out;
  assert.match(text, /WARN {2}credential_unused: client key .* never used/);

  // The default 30 days: both were issued moments ago, so nothing is flagged.
  const ok = JSON.parse((await run(doctorCommand, ['--config', relaxed, '--json'])).out) as {
    findings: Finding[];
  };
  assert.deepEqual(
    ok.findings.filter((f) => f.code === 'credential_unused').map((f) => [f.level, f.message]),
    [['ok', 'every API key, local user, IdP subject and mTLS workload tracked (2) was used within 30d']],
  );
});

for (const driver of ['sqlite', 'postgres'] as const)
  describe(`users repo on ${driver}: last activity`, () => {
    test('the latest session activity per user; users who never logged in are absent', async () => {
      const h = await createHarness(driver);
      const conn = await openSideConnection(h.store, { dataDir: h.dataDir });
      try {
        const repo = userRepoFor(conn);
        const user = (id: string) => ({
          id,
          name: id,
          role: 'user' as const,
          passwordHash: '$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA',
          passwordChangedAt: 1000,
          totpState: 'none' as const,
          totpLastStep: null,
          createdAt: 1000,
          disabledAt: null,
        });
        await repo.insertUser(user('u1'));
        await repo.insertUser(user('u2'));
        const session = (id: string, at: number) => ({
          id,
          tokenHash: `hash-${id}`,
          userId: 'u1',
          stage: 'full' as const,
          clientAddress: '127.0.0.1',
          createdAt: at,
          lastSeenAt: at,
          expiresAt: at + 3_600_000,
          revokedAt: null,
        });
        await repo.insertSession(session('s1', 5000));
        await repo.insertSession(session('s2', 7000));
        await repo.touchSession('s1', 9000);
        await repo.revokeSession('s1', 9500);
        assert.deepEqual([...(await repo.lastActivity())], [['u1', 9000]]);
      } finally {
        await conn.close();
        await h.teardown();
      }
    });
  });
