// Shared harness for the egress attack suite: loopback test servers and guarded child processes.
// Every target is on 127.0.0.0/8; 127.0.0.77 is the "not allowed" address. Nothing leaves the host.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EGRESS_PRELOAD_PATH } from '../../src/egress/child-options.ts';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

export interface ChildResult {
  readonly code: number | null;
  /** The last stdout line, parsed: probe name → outcome. */
  readonly results: Record<string, string>;
  /** JSON lines the preload wrote on stderr. */
  readonly events: Array<Record<string, unknown>>;
  readonly stderr: string;
}

/** Runs `node --require preload script` (or --import, or no preload) with exactly the given environment. */
export async function runGuardedChild(
  script: string,
  env: Record<string, string>,
  opts: { preload?: 'require' | 'import' | false; nodeFlags?: readonly string[] } = {},
): Promise<ChildResult> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-egress-'));
  try {
    const file = join(dir, 'child.mjs');
    await writeFile(file, script);
    const preload = opts.preload ?? 'require';
    const loader =
      preload === false
        ? [file]
        : preload === 'import'
          ? ['--import', pathToFileURL(EGRESS_PRELOAD_PATH).href, file]
          : ['--require', EGRESS_PRELOAD_PATH, file];
    const args = [...(opts.nodeFlags ?? []), ...loader];
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = stdout.trim().split('\n').filter(Boolean);
    const results = lines.length > 0 ? (JSON.parse(lines[lines.length - 1]!) as Record<string, string>) : {};
    const events = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code, results, events, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An HTTP server on 127.0.0.1 answering "ok". */
export async function startHttpServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A fake DNS server on 127.0.0.1/udp that counts queries and answers each with REFUSED, so a resolver
 * pointed at it fails at once instead of timing out. Proves whether a query packet left the child.
 */
export async function startFakeDns(): Promise<{
  port: number;
  queries: () => number;
  close: () => Promise<void>;
}> {
  const socket = dgram.createSocket('udp4');
  let count = 0;
  socket.on('message', (msg, rinfo) => {
    count += 1;
    if (msg.length < 12) return;
    const reply = Buffer.from(msg);
    reply[2] = (reply[2]! | 0x80) & 0xf9; // QR=1 (response), no AA/TC
    reply[3] = (reply[3]! & 0xf0) | 5; // RCODE=5 REFUSED
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    port,
    queries: () => count,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** JS for the child: `probe(name, fn)` records 'ok:<detail>' or '<error code>'; `done()` prints the map. */
export const PROBE_PRELUDE = `
const results = {};
const probe = async (name, fn) => {
  try { results[name] = 'ok:' + String(await fn()); }
  catch (err) { results[name] = String(err?.cause?.code ?? err?.code ?? err?.message ?? err); }
};
const done = () => { console.log(JSON.stringify(results)); };
const viaSocket = (make) => new Promise((resolve, reject) => {
  const s = make();
  s.once('error', reject);
  s.once('data', (d) => { resolve(String(d).slice(0, 20)); s.destroy(); });
  s.once('secureConnect', () => { resolve('secure'); s.destroy(); });
});
`;
