// HTTP face of the witness (c2sp.org/tlog-witness): `POST <prefix>/add-checkpoint` and nothing else.
// Plain node:http: one route, bounded bodies, keep-alive, no framework between the socket and the
// decision. Requests are not authenticated (the protocol relies on the log signature alone).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADD_CHECKPOINT_PATH, MAX_REQUEST_BYTES } from './protocol.ts';
import type { Witness, WitnessReply } from './witness.ts';

export interface WitnessServerOptions {
  readonly host: string;
  readonly port: number;
  /** The submission prefix path, e.g. "" or "/witness". */
  readonly prefix?: string;
}

export interface RunningWitnessServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';

export async function startWitnessServer(
  witness: Witness,
  opts: WitnessServerOptions,
): Promise<RunningWitnessServer> {
  const path = `${opts.prefix ?? ''}${ADD_CHECKPOINT_PATH}`;
  const server: Server = createServer({ keepAliveTimeout: 30_000, requestTimeout: 10_000 }, (req, res) => {
    handle(witness, path, req, res).catch(() =>
      send(res, { status: 500, contentType: TEXT, body: 'internal error\n' }),
    );
  });
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}${opts.prefix ?? ''}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  witness: Witness,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = req.url ?? '';
  if (url !== path) return send(res, { status: 404, contentType: TEXT, body: 'not found\n' }, req);
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return send(res, { status: 405, contentType: TEXT, body: 'use POST\n' }, req);
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_REQUEST_BYTES)
    return send(res, { status: 413, contentType: TEXT, body: 'body too large\n' }, req);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_REQUEST_BYTES)
      return send(res, { status: 413, contentType: TEXT, body: 'body too large\n' }, req);
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  const body = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let text: string;
  try {
    text = body.decode(bytes);
  } catch {
    return send(res, { status: 400, contentType: TEXT, body: 'body is not UTF-8\n' });
  }
  send(res, witness.addCheckpoint(text));
}

function send(res: ServerResponse, reply: WitnessReply, unread?: IncomingMessage): void {
  if (res.headersSent) return;
  // A refused request whose body we did not read: close rather than drain an unbounded body.
  if (unread !== undefined && !unread.complete) res.setHeader('Connection', 'close');
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': Buffer.byteLength(reply.body),
    'Cache-Control': 'no-store',
  });
  res.end(reply.body);
}
