// `airlock secrets` and `airlock users` in-process: values and passwords only from stdin or files,
// never printed; --json output; changes recorded in the audit log.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { secretsCommand } from '../../src/cli/commands/secrets.ts';
import { usersCommand } from '../../src/cli/commands/users.ts';
import type { CliCommand } from '../../src/cli/types.ts';

let dir = '';
let config = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-vault-cli-'));
  config = join(dir, 'airlock.yaml');
  writeFileSync(config, 'version: 1\ndataDir: ./data\nlisteners:\n  client:\n    port: 0\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(cmd: CliCommand, argv: string[], stdin = '') {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk, _e, cb) {
        f(String(chunk));
        cb();
      },
    });
  const io = {
    stdout: sink((s) => {
      out += s;
    }),
    stderr: sink((s) => {
      err += s;
    }),
    env: { USER: 'tester' },
    cwd: dir,
    stdin: Readable.from([Buffer.from(stdin)]),
  };
  const code = await cmd.run(argv, io);
  return { code, out, err };
}

test('secrets set / list / rotate / retire / delete; values never printed', async () => {
  const value = 'sk-cli-secret-value-123';
  const set = await run(
    secretsCommand,
    ['set', 'UPSTREAM_KEY', '--from-stdin', '--config', config, '--json'],
    `${value}\n`,
  );
  assert.equal(set.code, 0);
  assert.deepEqual(JSON.parse(set.out), { name: 'UPSTREAM_KEY', version: 1 });
  assert.equal((statSync(join(dir, 'data', 'secrets', 'master.key')).mode & 0o777).toString(8), '600');

  const file = join(dir, 'v2.txt');
  writeFileSync(file, 'sk-cli-rotated-value');
  const rot = await run(secretsCommand, [
    'rotate',
    'UPSTREAM_KEY',
    '--from-file',
    file,
    '--config',
    config,
    '--json',
  ]);
  assert.deepEqual(JSON.parse(rot.out), { name: 'UPSTREAM_KEY', version: 2 });

  const list = await run(secretsCommand, ['list', '--config', config, '--json']);
  const parsed = JSON.parse(list.out);
  assert.equal(parsed.secrets[0].name, 'UPSTREAM_KEY');
  assert.equal(parsed.secrets[0].current, 2);
  const human = await run(secretsCommand, ['list', '--config', config]);
  for (const o of [set.out, rot.out, list.out, human.out]) {
    assert.ok(!o.includes(value));
    assert.ok(!o.includes('sk-cli-rotated-value'));
  }

  const ret = await run(secretsCommand, [
    'retire',
    'UPSTREAM_KEY',
    '--version',
    '1',
    '--config',
    config,
    '--json',
  ]);
  assert.deepEqual(JSON.parse(ret.out), { name: 'UPSTREAM_KEY', version: 1, retired: true });
  const rw = await run(secretsCommand, ['rewrap', '--config', config, '--json']);
  assert.equal(JSON.parse(rw.out).rewrapped, 1);
  const del = await run(secretsCommand, ['delete', 'UPSTREAM_KEY', '--config', config, '--json']);
  assert.deepEqual(JSON.parse(del.out), { name: 'UPSTREAM_KEY', deleted: true });
});

test('secrets: a value on the command line is a usage error', async () => {
  await assert.rejects(
    run(secretsCommand, ['set', 'X', 'the-value', '--config', config]),
    /unexpected argument/,
  );
  await assert.rejects(
    run(secretsCommand, ['set', 'X', '--value=abc', '--config', config]),
    /Unknown option/,
  );
  await assert.rejects(
    run(secretsCommand, ['set', 'X', '--config', config]),
    (e: { code?: string }) => e.code === 'invalid_request',
  );
});

test('secrets under airlock. (TOTP seeds, task-token signing keys) are not changed by hand', async () => {
  for (const argv of [
    ['set', 'airlock.token-signing.x', '--from-stdin'],
    ['delete', 'airlock.user.u1.totp'],
    ['retire', 'airlock.token-signing.x', '--version', '1'],
  ])
    await assert.rejects(run(secretsCommand, [...argv, '--config', config], 'v\n'), /managed by airlock/);
});

test('users create (password on stdin) / list / reset-totp / disable', async () => {
  const pw = 'a very long admin password';
  const created = await run(
    usersCommand,
    ['create', '--config', config, '--name', 'Ops', '--role', 'admin', '--json'],
    `${pw}\n`,
  );
  const user = JSON.parse(created.out).user;
  assert.equal(user.name, 'ops');
  assert.equal(user.role, 'admin');
  assert.equal(user.mfa, 'none');
  assert.ok(!created.out.includes(pw));
  const list = JSON.parse((await run(usersCommand, ['list', '--config', config, '--json'])).out);
  assert.equal(list.users.length, 1);
  assert.ok(!JSON.stringify(list).includes('argon2'));
  const reset = JSON.parse(
    (await run(usersCommand, ['reset-totp', 'ops', '--config', config, '--json'])).out,
  );
  assert.equal(reset.user.mfa, 'none');
  const dis = JSON.parse((await run(usersCommand, ['disable', user.id, '--config', config, '--json'])).out);
  assert.ok(dis.user.disabledAt);
  await assert.rejects(
    run(usersCommand, ['create', '--config', config, '--name', 'x', '--role', 'root']),
    /--role/,
  );
  await assert.rejects(
    run(usersCommand, ['create', '--config', config, '--name', 'weak', '--role', 'user'], 'short\n'),
    (e: { code?: string }) => e.code === 'invalid_request',
  );
});
