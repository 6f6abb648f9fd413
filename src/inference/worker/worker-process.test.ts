import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workerArgv, workerEnv } from './worker-process.ts';

test('workerEnv: only PATH, a private HOME, locale and what is passed; never the gateway secrets', () => {
  process.env['AIRLOCK_MASTER_KEY'] = 'secret';
  process.env['HTTPS_PROXY'] = 'http://proxy.invalid';
  try {
    const env = workerEnv('/tmp/private-home', { EXTRA: '1' });
    assert.equal(env['HOME'], '/tmp/private-home');
    assert.equal(env['NODE_LLAMA_CPP_SKIP_DOWNLOAD'], 'true');
    assert.equal(env['EXTRA'], '1');
    assert.equal(env['AIRLOCK_MASTER_KEY'], undefined);
    assert.equal(env['HTTPS_PROXY'], undefined);
    for (const key of Object.keys(env))
      assert.ok(
        [
          'PATH',
          'HOME',
          'TMPDIR',
          'NODE_LLAMA_CPP_SKIP_DOWNLOAD',
          'LANG',
          'LC_ALL',
          'LC_CTYPE',
          'TZ',
          'EXTRA',
        ].includes(key),
        key,
      );
  } finally {
    delete process.env['AIRLOCK_MASTER_KEY'];
    delete process.env['HTTPS_PROXY'];
  }
});

test('workerArgv: node flags and preloads first, CLI entry with the worker command, loopback and stdin watch', () => {
  const argv = workerArgv({
    name: 'm',
    modelPath: '/m.gguf',
    threads: 2,
    contextSize: 1024,
    port: 0,
    home: '/h',
    cliEntry: '/app/bin/airlock.js',
    preload: ['/app/egress-preload.js'],
    execArgv: ['--require', '/app/guard.js'],
    extraEnv: {},
    logger: { info() {}, warn() {}, error() {} },
  });
  assert.deepEqual(argv.slice(0, 6), [
    '--require',
    '/app/guard.js',
    '--import',
    '/app/egress-preload.js',
    '/app/bin/airlock.js',
    'worker',
  ]);
  assert.ok(argv.includes('--watch-stdin'));
  assert.equal(argv[argv.indexOf('--host') + 1], '127.0.0.1');
  assert.equal(argv[argv.indexOf('--threads') + 1], '2');
});
