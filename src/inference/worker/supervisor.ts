// Supervises one embedded worker process: start, wait for ready, health-check, restart with
// exponential backoff on crash, keep the same port across restarts, and stop cleanly. The worker is
// a separate process so a crash or compromise of the inference runtime stays out of the gateway.

import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AirlockError } from '../../errors.ts';
import { workerExitCodes } from './exit-codes.ts';
import { type SupervisorLogger, spawnWorkerProcess, type WorkerProcess } from './worker-process.ts';

export type { SupervisorLogger } from './worker-process.ts';

export type WorkerEvent =
  | {
      readonly type: 'started';
      readonly name: string;
      readonly pid: number | undefined;
      readonly port: number;
    }
  | {
      readonly type: 'ready';
      readonly name: string;
      readonly pid: number | undefined;
      readonly baseUrl: string;
    }
  | {
      readonly type: 'exited';
      readonly name: string;
      readonly pid: number | undefined;
      readonly code: number | null;
      readonly signal: string | null;
    }
  | { readonly type: 'restarting'; readonly name: string; readonly attempt: number; readonly delayMs: number }
  | {
      readonly type: 'unhealthy';
      readonly name: string;
      readonly pid: number | undefined;
      readonly failures: number;
    };

export interface WorkerSupervisorConfig {
  readonly name: string;
  readonly modelPath: string;
  readonly threads?: number;
  readonly contextSize: number;
  readonly port: number;
}

export interface WorkerSupervisorDeps {
  readonly logger: SupervisorLogger;
  readonly onEvent?: (e: WorkerEvent) => void;
  /** bin/airlock.js; without it the worker's own entry script is run. */
  readonly cliEntry?: string;
  /** Modules loaded with `node --import` before the worker (e.g. the egress guard). */
  readonly preload?: readonly string[];
  /** Node flags placed verbatim before the script, e.g. egressChildOptions(policy).execArgv
   *  (`--require <egress preload>`, which unlike --import also covers worker threads). */
  readonly execArgv?: readonly string[];
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** Model custody (P7): re-hashes the artefact and refuses an unapproved one, before every (re)start.
   *  A returned path is loaded instead of `modelPath` (a worker bound to an inventory alias). */
  readonly beforeLoad?: (modelPath: string) => Promise<string | undefined>;
}

export interface WorkerSupervisorTuning {
  readonly startTimeoutMs: number;
  readonly healthIntervalMs: number;
  readonly healthTimeoutMs: number;
  /** Consecutive failed health checks before the worker is killed and restarted. */
  readonly maxHealthFailures: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  /** A worker ready this long resets the backoff. */
  readonly stableMs: number;
  readonly stopGraceMs: number;
}

const defaultTuning: WorkerSupervisorTuning = {
  startTimeoutMs: 120_000,
  healthIntervalMs: 5_000,
  healthTimeoutMs: 2_000,
  maxHealthFailures: 3,
  backoffBaseMs: 250,
  backoffCapMs: 30_000,
  stableMs: 10_000,
  stopGraceMs: 5_000,
};

export interface WorkerSupervisor {
  start(): Promise<{ baseUrl: string }>;
  baseUrl(): string | undefined;
  healthy(): boolean;
  /** The running worker's process id (for diagnostics and tests). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** GET /healthz on loopback without a pooled agent, so no keep-alive socket outlives the check. */
function probe(baseUrl: string, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const req = request(`${baseUrl}/healthz`, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}

export function createWorkerSupervisor(
  config: WorkerSupervisorConfig,
  deps: WorkerSupervisorDeps,
  tuning: Partial<WorkerSupervisorTuning> = {},
): WorkerSupervisor {
  const t = { ...defaultTuning, ...tuning };
  const { logger, name } = { logger: deps.logger, name: config.name };
  const emit = (e: WorkerEvent) => deps.onEvent?.(e);
  let current: WorkerProcess | undefined;
  let url: string | undefined;
  let isHealthy = false;
  let stopping = false;
  let home: string | undefined;
  let port = config.port;
  let attempt = 0;
  // Restarts are for workers that once worked; a first start that fails is reported by start().
  let everReady = false;
  let healthFailures = 0;
  let healthTimer: NodeJS.Timeout | undefined;
  let stableTimer: NodeJS.Timeout | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  // Last resort if the gateway exits without stop(); stdin EOF covers the kill -9 case.
  const killOnExit = () => current?.child.kill('SIGKILL');

  function clearTimers(): void {
    clearInterval(healthTimer);
    clearTimeout(stableTimer);
    clearTimeout(restartTimer);
  }

  async function checkHealth(w: WorkerProcess, base: string): Promise<void> {
    const ok = await probe(base, t.healthTimeoutMs);
    if (w !== current || stopping) return;
    if (ok) {
      healthFailures = 0;
      isHealthy = true;
      return;
    }
    healthFailures++;
    isHealthy = false;
    emit({ type: 'unhealthy', name, pid: w.child.pid, failures: healthFailures });
    logger.warn({ worker: name, pid: w.child.pid, failures: healthFailures }, 'worker health check failed');
    // A wedged worker (alive but not answering) is replaced like a crashed one.
    if (healthFailures >= t.maxHealthFailures) w.child.kill('SIGKILL');
  }

  function onExit(w: WorkerProcess, code: number | null, signal: string | null): void {
    if (w !== current) return;
    clearTimers();
    url = undefined;
    isHealthy = false;
    emit({ type: 'exited', name, pid: w.child.pid, code, signal });
    if (stopping || !everReady) return;
    logger.warn({ worker: name, pid: w.child.pid, code, signal }, 'worker exited');
    // The remembered port was taken meanwhile: let the next worker pick a free one.
    if (code === workerExitCodes.portInUse && config.port === 0) port = 0;
    const delayMs = Math.min(t.backoffBaseMs * 2 ** attempt, t.backoffCapMs);
    attempt++;
    emit({ type: 'restarting', name, attempt, delayMs });
    restartTimer = setTimeout(() => {
      launch().catch((err: unknown) =>
        logger.warn({ worker: name, error: String(err) }, 'worker restart failed'),
      );
    }, delayMs);
  }

  async function launch(): Promise<string> {
    const modelPath = (await deps.beforeLoad?.(resolve(config.modelPath))) || resolve(config.modelPath);
    const w = spawnWorkerProcess({
      name,
      modelPath,
      threads: config.threads,
      contextSize: config.contextSize,
      port,
      home: home!,
      cliEntry: deps.cliEntry,
      preload: deps.preload ?? [],
      execArgv: deps.execArgv ?? [],
      extraEnv: deps.extraEnv ?? {},
      logger,
    });
    current = w;
    healthFailures = 0;
    emit({ type: 'started', name, pid: w.child.pid, port });
    w.exited.then(({ code, signal }) => onExit(w, code, signal));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`worker not ready after ${t.startTimeoutMs} ms`)),
        t.startTimeoutMs,
      );
    });
    try {
      port = await Promise.race([w.ready, timeout]);
    } catch (err) {
      w.child.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const base = `http://127.0.0.1:${port}`;
    if (w !== current || stopping) throw new Error('worker stopped while starting');
    url = base;
    isHealthy = true;
    everReady = true;
    emit({ type: 'ready', name, pid: w.child.pid, baseUrl: base });
    logger.info({ worker: name, pid: w.child.pid, baseUrl: base }, 'worker ready');
    healthTimer = setInterval(() => void checkHealth(w, base), t.healthIntervalMs);
    stableTimer = setTimeout(() => {
      attempt = 0;
    }, t.stableMs);
    return base;
  }

  async function stop(): Promise<void> {
    stopping = true;
    clearTimers();
    const w = current;
    if (w && w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill('SIGTERM');
      w.child.stdin?.end();
      const grace = setTimeout(() => w.child.kill('SIGKILL'), t.stopGraceMs);
      await w.exited;
      clearTimeout(grace);
    }
    current = undefined;
    url = undefined;
    isHealthy = false;
    process.off('exit', killOnExit);
    if (home) await rm(home, { recursive: true, force: true });
    home = undefined;
  }

  return {
    async start() {
      if (url) return { baseUrl: url };
      stopping = false;
      home ??= await mkdtemp(join(tmpdir(), `airlock-worker-${name.replace(/[^\w.-]/g, '_')}-`));
      process.on('exit', killOnExit);
      try {
        return { baseUrl: await launch() };
      } catch (err) {
        // A worker that cannot start once will not start by retrying: fail start-up with the reason.
        await stop();
        throw new AirlockError('upstream_unavailable', {
          detail: `worker ${name}: ${String(err)}`,
          cause: err,
        });
      }
    },
    baseUrl: () => url,
    healthy: () => isHealthy && url !== undefined,
    pid: () => current?.child.pid,
    stop,
  };
}
