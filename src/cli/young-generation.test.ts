import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { SEMI_SPACE_MB, youngGenerationReexec } from './young-generation.ts';

const base = { execPath: '/usr/bin/node', execArgv: [], nodeOptions: undefined };

test('young generation: serve re-execs with the semi-space flag, keeping node flags and arguments', () => {
  assert.deepEqual(
    youngGenerationReexec({
      ...base,
      execArgv: ['--enable-source-maps'],
      argv: ['/usr/bin/node', '/opt/airlock/bin/airlock.js', 'serve', '--config', 'a b.yaml'],
    }),
    [
      '/usr/bin/node',
      `--max-semi-space-size=${SEMI_SPACE_MB}`,
      '--enable-source-maps',
      '/opt/airlock/bin/airlock.js',
      'serve',
      '--config',
      'a b.yaml',
    ],
  );
});

test('young generation: other commands, an operator setting or an earlier exec leave the process as is', () => {
  const argv = ['/usr/bin/node', 'bin/airlock.js', 'serve'];
  assert.equal(
    youngGenerationReexec({ ...base, argv: ['/usr/bin/node', 'bin/airlock.js', 'keys'] }),
    undefined,
  );
  assert.equal(youngGenerationReexec({ ...base, argv, execArgv: ['--max-semi-space-size=16'] }), undefined);
  assert.equal(youngGenerationReexec({ ...base, argv, execArgv: ['--max_semi_space_size=64'] }), undefined);
  assert.equal(youngGenerationReexec({ ...base, argv, nodeOptions: '--max-semi-space-size=32' }), undefined);
});

test('young generation: the flag given at start-up caps the new space', () => {
  // Allocation that keeps a share alive, so V8 grows the new space up to its maximum.
  const script = `const v8 = require('node:v8');
    let keep = [];
    for (let i = 0; i < 1e7; i++) { keep.push({ i }); if (keep.length > 200000) keep = keep.slice(100000); }
    const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    process.stdout.write(String(s.space_size / 1048576));`;
  const out = execFileSync(process.execPath, [`--max-semi-space-size=${SEMI_SPACE_MB}`, '-e', script], {
    encoding: 'utf8',
  });
  assert.ok(Number(out) > 0 && Number(out) <= 2 * SEMI_SPACE_MB, `new space ${out} MB`);
});
