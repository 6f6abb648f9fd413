// Spawning one worker process: scrubbed environment, piped stdio, the ready line on stdout and the
// worker's JSON log lines on stderr relayed to the gateway's logger.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface SupervisorLogger {
  info(fields: Record<string, unknown>, msg?: string): void;
  warn(fields: Record<string, unknown>, msg?: string): void;
  error(fields: Record<string, unknown>, msg?: string): void;
}

export interface WorkerSpawnOptions {
  readonly name: string;
  readonly modelPath: string;
  readonly threads: number | undefined;
  readonly contextSize: number;
  readonly port: number;
  /** Private HOME for the child (llama.cpp and friends may write caches there). */
  readonly home: string;
  readonly cliEntry: string | undefined;
  readonly preload: readonly string[];
  readonly execArgv: readonly string[];
  readonly extraEnv: Readonly<Record<string, string>>;
  readonly logger: SupervisorLogger;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves with the port from the ready line; rejects if the process exits first. */
  readonly ready: Promise<number>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const defaultEntry = fileURLToPath(new URL('./entry.ts', import.meta.url));

/** Only what a worker needs. No AIRLOCK_* variables, no credentials, no proxy settings: the worker
 *  process must not inherit the gateway's secrets (DESIGN §2, P5). */
export function workerEnv(home: string, extra: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: home,
    NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true',
  };
  for (const key of ['LANG', 'LC_ALL', 'LC_CTYPE', 'TZ']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}

export function workerArgv(o: WorkerSpawnOptions): string[] {
  const entry = o.cliEntry === undefined ? [defaultEntry] : [o.cliEntry, 'worker'];
  return [
    ...o.execArgv,
    ...o.preload.flatMap((p) => ['--import', p]),
    ...entry,
    '--model',
    o.modelPath,
    '--host',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--context-size',
    String(o.contextSize),
    '--alias',
    o.name,
    '--watch-stdin',
    ...(o.threads === undefined ? [] : ['--threads', String(o.threads)]),
  ];
}

/** Relays one worker log line (pino JSON) at its own level; anything else is a warning. */
function relay(logger: SupervisorLogger, name: string, pid: number | undefined, line: string): void {
  let parsed: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (value !== null && typeof value === 'object') parsed = value as Record<string, unknown>;
  } catch {
    // not JSON: a native crash message or a stray print
  }
  if (!parsed) {
    logger.warn({ worker: name, pid, line }, 'worker output');
    return;
  }
  const { level, time: _time, msg, ...fields } = parsed;
  const text = typeof msg === 'string' ? msg : 'worker log';
  const entry = { worker: name, pid, ...fields };
  // pino levels are numbers (40 warn, 50 error); other writers (the egress preload) use names.
  const rank = typeof level === 'number' ? level : level === 'error' ? 50 : level === 'warn' ? 40 : 30;
  if (rank >= 50) logger.error(entry, text);
  else if (rank >= 40 || fields['event'] === 'egress_denied') logger.warn(entry, text);
  else logger.info(entry, text);
}

export function spawnWorkerProcess(o: WorkerSpawnOptions): WorkerProcess {
  const child = spawn(process.execPath, workerArgv(o), {
    env: workerEnv(o.home, o.extraEnv),
    // stdin stays a pipe we never close while running: its EOF is the worker's "parent is gone".
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A failed spawn (no such executable) emits 'error' and never 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
  });
  // A worker that dies before reading stdin makes our writes fail with EPIPE; that is expected.
  child.stdin?.on('error', () => {});
  const ready = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: unknown; port?: unknown };
        if (msg.event === 'ready' && typeof msg.port === 'number') resolve(msg.port);
      } catch {
        // stdout carries only the ready line; ignore anything else
      }
    });
    child.once('error', reject);
    exited.then(({ code, signal }) =>
      reject(new Error(`worker exited before ready (code ${code}, signal ${signal})`)),
    );
  });
  ready.catch(() => {});
  createInterface({ input: child.stderr! }).on('line', (line) => relay(o.logger, o.name, child.pid, line));
  return { child, ready, exited };
}
