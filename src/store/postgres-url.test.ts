import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postgresUrlSecrets, redactPostgresUrl, scrubSecrets } from './postgres-url.ts';

describe('redactPostgresUrl', () => {
  it('password in userinfo → ***, user, host, port and database kept', () => {
    assert.equal(
      redactPostgresUrl('postgres://airlock:s3cr3t@db.internal:5433/airlock'),
      'postgres://airlock:***@db.internal:5433/airlock',
    );
  });

  it('password and sslpassword query parameters → ***', () => {
    const out = redactPostgresUrl('postgres://db/airlock?password=s3cr3t&sslpassword=k3y&sslmode=require');
    assert.doesNotMatch(out, /s3cr3t|k3y/);
    assert.match(out, /sslmode=require/);
  });

  it('no password → unchanged', () => {
    assert.equal(redactPostgresUrl('postgres://airlock@db/airlock'), 'postgres://airlock@db/airlock');
  });

  it('unparseable → a placeholder, never the input', () => {
    assert.equal(redactPostgresUrl('postgres://u:s3cr3t@[bad'), '<unparseable postgres url>');
  });
});

describe('postgresUrlSecrets + scrubSecrets', () => {
  it('percent-encoded password: raw and decoded forms are both scrubbed', () => {
    const secrets = postgresUrlSecrets('postgres://u:p%40ss%2Fw0rd@db/x?password=other');
    const text = 'failed for p@ss/w0rd and p%40ss%2Fw0rd and other';
    assert.equal(scrubSecrets(text, secrets), 'failed for *** and *** and ***');
  });

  it('unparseable URL: the userinfo password is still found', () => {
    assert.deepEqual(postgresUrlSecrets('postgres://u:s3cr3t@[bad'), ['s3cr3t']);
  });

  it('no password → nothing to scrub', () => {
    assert.deepEqual(postgresUrlSecrets('postgres://u@db/x'), []);
  });
});
