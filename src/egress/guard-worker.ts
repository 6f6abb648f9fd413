// Worker threads get fresh copies of net, dns and dgram, so the patches above do not reach them.
// Every Worker constructed after install is started with the preload (--require) and a snapshot of
// the effective policy in its environment; the worker's own guard then patches its own modules.
import worker_threads from 'node:worker_threads';
import { EGRESS_POLICY_ENV, EGRESS_PRELOAD_PATH } from './child-options.ts';
import type { Restore } from './guard-core.ts';

type WorkerCtor = typeof worker_threads.Worker;
type WorkerOptions = NonNullable<ConstructorParameters<WorkerCtor>[1]>;

function withPreload(execArgv: readonly string[]): string[] {
  return execArgv.includes(EGRESS_PRELOAD_PATH)
    ? [...execArgv]
    : [...execArgv, '--require', EGRESS_PRELOAD_PATH];
}

export function guardedWorkerOptions(
  options: WorkerOptions | undefined,
  serializedPolicy: string,
  inherited: readonly string[] = process.execArgv,
): WorkerOptions {
  const opts: WorkerOptions = { ...(options ?? {}) };
  opts.execArgv = withPreload(opts.execArgv ?? inherited);
  if (opts.env === worker_threads.SHARE_ENV) process.env[EGRESS_POLICY_ENV] = serializedPolicy;
  else
    opts.env = {
      ...((opts.env as NodeJS.Dict<string> | undefined) ?? process.env),
      [EGRESS_POLICY_ENV]: serializedPolicy,
    };
  return opts;
}

export function patchWorkers(serializedPolicy: () => string): Restore {
  const Original = worker_threads.Worker;
  // A Proxy rather than a subclass: instanceof, statics and user subclasses keep working, and the
  // construct trap may retry, which a subclass constructor (one super call) may not.
  const GuardedWorker = new Proxy(Original, {
    construct(target, args: [string | URL, WorkerOptions?], newTarget) {
      const [filename, options] = args;
      try {
        return Reflect.construct(
          target,
          [filename, guardedWorkerOptions(options, serializedPolicy())],
          newTarget,
        );
      } catch (err) {
        // Node silently ignores per-process flags (--max-old-space-size, --title) it inherits, but
        // rejects them once execArgv is explicit. Then start the worker with the preload alone.
        if (options?.execArgv || (err as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV')
          throw err;
        return Reflect.construct(
          target,
          [filename, guardedWorkerOptions(options, serializedPolicy(), [])],
          newTarget,
        );
      }
    },
  });
  worker_threads.Worker = GuardedWorker;
  return () => {
    if (worker_threads.Worker === GuardedWorker) worker_threads.Worker = Original;
  };
}
