// The PostgreSQL driver must never put the URL's password into an error it throws (threat: credentials
// leaking into logs and support bundles).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AirlockError } from '../errors.ts';
import { openPostgresStore } from './postgres-store.ts';

const password = 'Sup3r-s3cret_pw';

async function openFailure(url: string): Promise<AirlockError> {
  try {
    const store = await openPostgresStore({ url, connectTimeoutMs: 2_000 });
    await store.close();
  } catch (err) {
    assert.ok(err instanceof AirlockError, `expected AirlockError, got ${String(err)}`);
    return err;
  }
  assert.fail('openPostgresStore should have rejected');
}

function assertNoPassword(err: AirlockError): void {
  const everything = [err.message, err.detail ?? '', String(err.stack), JSON.stringify(err)].join('\n');
  assert.ok(!everything.includes(password), `password leaked: ${everything}`);
  assert.ok(!everything.includes(encodeURIComponent(`${password}@x`)));
  assert.equal(err.cause, undefined);
}

describe('openPostgresStore: error detail never contains the password', () => {
  it('connection refused → store_unavailable, redacted URL in the detail', async () => {
    const err = await openFailure(`postgres://airlock:${password}@127.0.0.1:1/airlock`);
    assert.equal(err.code, 'store_unavailable');
    assert.match(err.detail ?? '', /postgres:\/\/airlock:\*\*\*@127\.0\.0\.1:1\/airlock/);
    assertNoPassword(err);
  });

  it('password as a query parameter, percent-encoded → not in the detail', async () => {
    const err = await openFailure(
      `postgres://airlock@127.0.0.1:1/airlock?password=${encodeURIComponent(`${password}@x`)}`,
    );
    assert.equal(err.code, 'store_unavailable');
    assertNoPassword(err);
  });

  it('server answers with an error (unknown database) → store_unavailable, no password', async () => {
    const err = await openFailure(
      `postgres://postgres:${password}@127.0.0.1:5432/airlock_missing_${password}`,
    );
    assert.equal(err.code, 'store_unavailable');
    assertNoPassword(err);
  });
});

describe('openPostgresStore: malformed URL', () => {
  it('→ config_invalid without the password', async () => {
    const err = await openFailure(`postgres://airlock:${password}@[bad-host/airlock`);
    assert.equal(err.code, 'config_invalid');
    assertNoPassword(err);
  });
});
