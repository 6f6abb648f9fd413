// A pooled client whose backend dies while it is checked out must fail its query, not the process.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { checkOutClient } from './pg-checkout.ts';

const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
let pool: pg.Pool;
let admin: pg.Client;

before(async () => {
  admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  pool = new pg.Pool({ connectionString: ADMIN, max: 2 });
  pool.on('error', () => {});
});
after(async () => {
  await pool.end();
  await admin.end();
});

test('a backend terminated while its client is checked out rejects the next query; no uncaught error', async () => {
  const client = await checkOutClient(pool);
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  // Without a listener, pg's 'error' event for this dead connection is an uncaught exception here.
  await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
  await ended;
  await assert.rejects(client.query('SELECT 1'));
  client.release(new Error('connection lost'));
  // The pool replaces it: the next checkout works.
  const fresh = await checkOutClient(pool);
  assert.equal((await fresh.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
  fresh.release();
  assert.equal(fresh.listenerCount('error') <= 1, true, 'our listener is removed on a healthy release');
});
