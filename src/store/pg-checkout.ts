// Checking a client out of a pg pool, safely.
//
// pg-pool listens for 'error' only on idle clients: it removes that listener when it hands a client
// out (pg-pool `_acquireClient`). A connection that dies while checked out — a backend terminated by a
// failover, a restart or `pg_terminate_backend` — makes pg's Client emit 'error' (it also rejects the
// query in flight), and an 'error' event with no listener is an uncaught exception that would take the
// whole gateway down instead of failing one request closed. The failing query already carries the
// error, so the event only needs a listener for as long as the client is ours.
import type { Pool, PoolClient } from 'pg';

const ignore = (): void => {};

export async function checkOutClient(pool: Pool): Promise<PoolClient> {
  const client = await pool.connect();
  client.on('error', ignore);
  const release = client.release.bind(client);
  client.release = (err?: Error | boolean) => {
    // A client released with an error is destroyed and may still report its socket's end: keep the
    // listener on it. A healthy one goes back to the pool, which re-attaches its own idle listener.
    if (!err) client.removeListener('error', ignore);
    release(err);
  };
  return client;
}
