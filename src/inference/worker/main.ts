// `airlock worker`: one GGUF model served on loopback in its own process, so a crash or compromise of
// the inference runtime never takes the gateway (or its secrets) with it.
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { parseWorkerArgs, type WorkerArgs, workerUsage } from './args.ts';
import { loadEngine } from './engine.ts';
import { workerExitCodes } from './exit-codes.ts';
import { createWorkerServer } from './http-server.ts';
import { createWorkerLogger } from './log.ts';

/** Time a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 5000;

export interface WorkerIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** Runs the worker until SIGTERM/SIGINT (or stdin closing with --watch-stdin); resolves the exit code. */
export async function runWorker(
  argv: readonly string[],
  io: WorkerIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let args: WorkerArgs;
  try {
    args = parseWorkerArgs(argv);
  } catch (err) {
    io.stderr.write(`airlock worker: ${(err as Error).message}\n\n${workerUsage}\n`);
    return workerExitCodes.usage;
  }
  const log = createWorkerLogger(args.alias);
  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const requestStop = (reason: string) => {
    log.info({ event: 'stopping', reason });
    stopRequested?.();
  };
  process.once('SIGTERM', () => requestStop('SIGTERM'));
  process.once('SIGINT', () => requestStop('SIGINT'));
  if (args.watchStdin) {
    // The supervisor holds the other end of stdin; it closes when the gateway exits for any reason,
    // including kill -9, so an orphaned worker never keeps serving on its own.
    process.stdin.on('end', () => requestStop('stdin closed'));
    process.stdin.on('error', () => requestStop('stdin error'));
    process.stdin.resume();
  }

  const t0 = performance.now();
  let engine: Awaited<ReturnType<typeof loadEngine>>;
  try {
    engine = await loadEngine(args, log);
  } catch (err) {
    log.error({ event: 'load_failed', modelPath: args.modelPath, error: String(err) });
    return workerExitCodes.failed;
  }
  const server = createWorkerServer(engine, { alias: args.alias, log });
  const listening = await new Promise<number | NodeJS.ErrnoException>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ host: args.host, port: args.port }, () =>
      resolve((server.address() as AddressInfo).port),
    );
  });
  if (typeof listening !== 'number') {
    log.error({ event: 'listen_failed', host: args.host, port: args.port, code: listening.code });
    await engine.close();
    return listening.code === 'EADDRINUSE' ? workerExitCodes.portInUse : workerExitCodes.failed;
  }
  log.info({
    event: 'ready',
    port: listening,
    threads: args.threads,
    contextSize: engine.contextSize,
    parallel: args.parallel,
    chatWrapper: engine.chatWrapperName,
    loadMs: Math.round(performance.now() - t0),
  });
  io.stdout.write(`${JSON.stringify({ event: 'ready', port: listening })}\n`);

  await stopped;
  const hardExit = setTimeout(() => {
    log.error({ event: 'shutdown_timeout' });
    process.exit(workerExitCodes.failed);
  }, SHUTDOWN_GRACE_MS);
  hardExit.unref();
  // Closing every connection aborts in-flight generations (their response 'close' handlers fire).
  server.close();
  server.closeAllConnections();
  await engine.close();
  clearTimeout(hardExit);
  // A resumed stdin would keep the event loop (and so the process) alive after shutdown.
  if (args.watchStdin) process.stdin.destroy();
  log.info({ event: 'stopped' });
  return workerExitCodes.ok;
}
