// JSON-line logging for the worker, on stderr (stdout carries only the ready line for the supervisor).
// Callers pass structured fields only; request content (prompts, completions) is never logged.
import pino from 'pino';

export interface WorkerLogger {
  info(fields: Record<string, unknown>): void;
  warn(fields: Record<string, unknown>): void;
  error(fields: Record<string, unknown>): void;
}

export function createWorkerLogger(alias: string): WorkerLogger {
  // Synchronous writes: the last lines before a crash or exit must not be lost in a buffer.
  const logger = pino(
    { base: { component: 'worker', model: alias } },
    pino.destination({ fd: 2, sync: true }),
  );
  return {
    info: (fields) => logger.info(fields),
    warn: (fields) => logger.warn(fields),
    error: (fields) => logger.error(fields),
  };
}
