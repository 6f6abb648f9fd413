import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { isLoopbackHost, parseWorkerArgs } from './args.ts';

test('isLoopbackHost: only literal loopback addresses', () => {
  for (const ok of ['127.0.0.1', '127.1.2.3', '::1']) assert.equal(isLoopbackHost(ok), true, ok);
  for (const bad of ['0.0.0.0', '10.0.0.1', '::', 'localhost', '128.0.0.1', 'example.com', '::ffff:10.0.0.1'])
    assert.equal(isLoopbackHost(bad), false, bad);
});

test('parseWorkerArgs: defaults, alias from the file name, threads capped at the core count', () => {
  const a = parseWorkerArgs(['--model', '/m/Qwen-0.5B.Q4.gguf']);
  assert.equal(a.host, '127.0.0.1');
  assert.equal(a.port, 0);
  assert.equal(a.alias, 'Qwen-0.5B.Q4');
  assert.equal(a.threads, Math.max(1, availableParallelism() - 1));
  assert.equal(a.watchStdin, false);
  const b = parseWorkerArgs([
    '--model',
    'x.gguf',
    '--threads',
    '999',
    '--port',
    '8080',
    '--watch-stdin',
    '--alias',
    'm',
  ]);
  assert.equal(b.threads, availableParallelism());
  assert.equal(b.port, 8080);
  assert.equal(b.alias, 'm');
  assert.equal(b.watchStdin, true);
});

test('parseWorkerArgs: refuses bad input with a one-line reason', () => {
  assert.throws(() => parseWorkerArgs([]), /--model/);
  assert.throws(() => parseWorkerArgs(['--model', 'm', '--host', '0.0.0.0']), /loopback/);
  assert.throws(() => parseWorkerArgs(['--model', 'm', '--port', '70000']), /65535/);
  assert.throws(() => parseWorkerArgs(['--model', 'm', '--threads', '0']), /threads/);
  assert.throws(() => parseWorkerArgs(['--model', 'm', '--bogus']));
});
