// The real `airlock serve` as end-to-end suites drive it: bin/airlock.js as a child process, API keys
// made by `airlock keys create` against the same config (one SQLite store), and the URLs taken from
// serve's ready line (listeners bind port 0).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

export const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
const run = promisify(execFile);

/** `airlock keys create --config <config> --ttl 1h --json <extra…>` → the new key. */
export async function createKey(config: string, ...extra: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [
    BIN,
    'keys',
    'create',
    '--config',
    config,
    '--ttl',
    '1h',
    '--json',
    ...extra,
  ]);
  return JSON.parse(stdout).key as string;
}

/** A gateway config on loopback (client and admin listeners on free ports) in front of OpenAI-compatible
 *  mock upstreams (name → URL). A mock has no weights custody could verify, so each one is stated as a
 *  custody exemption, as an operator would. `rest` adds or replaces top-level sections (models, policy …). */
export function mockGatewayConfig(
  upstreams: Readonly<Record<string, string>>,
  rest: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  const names = Object.keys(upstreams);
  return {
    version: 1,
    dataDir: '.',
    listeners: { client: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
    upstreams: names.map((name) => ({ name, kind: 'openai', baseUrl: upstreams[name] })),
    custody: { exempt: names.map((upstream) => ({ upstream, reason: 'loopback mock upstream in a test' })) },
    ...rest,
  };
}

export interface Served {
  child: ChildProcess;
  /** The client listener's base URL. */
  client: string;
  /** The admin listener's base URL, as the ready line gives it (absent when the config has no admin listener). */
  admin: string;
  /** Everything serve wrote to stdout and stderr so far. */
  logs(): string;
}

/** Spawns `airlock serve --config <config>` and resolves at its "airlock ready" line; rejects with
 *  the output so far if it exits first. */
export async function startServe(config: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buf = '';
  const ready = await new Promise<{ client: string; admin: string }>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.includes('"msg":"airlock ready"'));
      if (line) resolve(JSON.parse(line));
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${buf}`)));
  });
  return { child, client: ready.client, admin: ready.admin, logs: () => buf };
}

/** SIGTERM, and wait for the exit, unless it has already exited. */
export async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
}

/** An admin API call with a bearer key and a JSON body (if any) → its status and JSON body. */
export async function adminRequest(
  adminUrl: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
