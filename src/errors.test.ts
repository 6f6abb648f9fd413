import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AirlockError, errorCatalogue, toAirlockError } from './errors.ts';

test('errors: catalogue and docs/errors.md list the same codes, both ways', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Set(
    [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => `${m[1]}:${m[2]}`),
  );
  const coded = new Set(Object.entries(errorCatalogue).map(([c, s]) => `${c}:${s.status}`));
  assert.deepEqual(
    [...coded].filter((c) => !documented.has(c)),
    [],
    'in code, not in docs',
  );
  assert.deepEqual(
    [...documented].filter((c) => !coded.has(c)),
    [],
    'in docs, not in code',
  );
});

test('errors: unknown exceptions become a generic internal_error that leaks nothing', () => {
  const e = toAirlockError(new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2'));
  assert.equal(e.code, 'internal_error');
  assert.equal(e.message, 'Internal error.');
  assert.equal(e.detail, undefined);
});

test('errors: every code has a client-safe message without interpolation', () => {
  for (const [code, spec] of Object.entries(errorCatalogue)) {
    assert.ok(spec.message.length > 0, code);
    assert.ok(!/[{}$]/.test(spec.message), `${code} message looks templated`);
    assert.equal(new AirlockError(code as keyof typeof errorCatalogue).status, spec.status);
  }
});
