// Reference point for bench/proxy-overhead.ts: the least a Node.js proxy can do per request. node:http
// receives, undici forwards the raw bytes to the upstream over keep-alive, the answer is piped back.
// No parsing, no authentication, no policy, no audit log: what is left is the price of one extra HTTP
// hop in this runtime on this core, which no governed gateway written in Node.js can undercut.
//
//   node bench/bare-proxy.ts --upstream http://127.0.0.1:PORT   → prints {"url": ...} once listening
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({ options: { upstream: { type: 'string' } } });
if (!values.upstream) throw new Error('--upstream URL is required');
const pool = new Pool(values.upstream, { connections: 128, pipelining: 1 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    pool
      .request({
        method: 'POST',
        path: req.url ?? '/',
        headers: { 'content-type': 'application/json' },
        body: Buffer.concat(chunks),
      })
      .then(
        (up) => {
          res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? '') });
          up.body.on('data', (c: Buffer) => res.write(c));
          up.body.on('end', () => res.end());
        },
        () => {
          res.writeHead(502).end();
        },
      );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pool.close().then(() => process.exit(0));
});
