// The admin-API commands (approvals, breakglass, changes) run through bin/airlock.js, which installs
// the deny-all egress guard before anything loads: the command must let exactly the named admin URL
// through, or an operator's `airlock approvals list` could never reach the gateway.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;

describe('admin-API CLI commands under the egress guard', () => {
  let server: Server;
  let url: string;
  const seen: { path: string; auth: string | undefined }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: [] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const airlock = (args: string[]) =>
    run(process.execPath, [BIN, ...args], {
      env: { ...process.env, AIRLOCK_ADMIN_KEY: 'ala_test-admin-credential' },
    });

  for (const [name, args, path] of [
    ['approvals list', ['approvals', 'list'], '/admin/v1/approvals'],
    ['breakglass list', ['breakglass', 'list'], '/admin/v1/breakglass'],
    ['changes list', ['changes', 'list'], '/admin/v1/changes'],
  ] as const) {
    test(`${name} reaches the admin URL it was given`, async () => {
      const before = seen.length;
      const { stdout } = await airlock([...args, '--url', url, '--json']);
      assert.deepEqual(JSON.parse(stdout), { data: [] });
      assert.equal(seen.length, before + 1);
      assert.ok(seen[before]!.path.startsWith(path), seen[before]!.path);
      assert.equal(seen[before]!.auth, 'Bearer ala_test-admin-credential');
    });
  }

  test('a URL that is not http(s) is a usage error, not a connection attempt', async () => {
    await assert.rejects(
      airlock(['approvals', 'list', '--url', 'file:///etc/passwd']),
      (err: Error & { stderr: string }) => {
        assert.match(err.stderr, /must be an http:\/\/ or https:\/\/ URL/);
        return true;
      },
    );
  });
});
