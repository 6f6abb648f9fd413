// Command-line arguments of `airlock worker`, validated once at start-up.
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

export interface WorkerArgs {
  readonly modelPath: string;
  readonly host: string;
  readonly port: number;
  /** Already capped at the machine's parallelism. */
  readonly threads: number;
  readonly contextSize: number;
  readonly alias: string;
  /** Context sequences generating at once; further requests queue. */
  readonly parallel: number;
  /** Exit when stdin closes: the supervisor holds the other end, so the worker dies with it. */
  readonly watchStdin: boolean;
}

export const workerUsage = `airlock worker --model PATH [options]

Serves one GGUF model over an OpenAI-compatible HTTP API on loopback.

  --model PATH          GGUF file to serve (required)
  --host ADDR           loopback address to bind (default 127.0.0.1; others are refused)
  --port N              port; 0 picks a free one (default 0)
  --threads N           CPU threads (default: cores - 1, at least 1; maximum: cores)
  --context-size N      tokens of context per sequence (default 2048)
  --parallel N          requests generated at once; others queue (default 1)
  --alias NAME          model name reported to clients (default: the file name)
  --watch-stdin         exit when stdin closes (used by the supervisor)

When ready it prints one JSON line on stdout: {"event":"ready","port":N}.`;

/** True for 127.0.0.0/8 and ::1 only: the worker must never be reachable off the host. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return false; // resolves through the system; require a literal address
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function positiveInt(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

/** Parses argv (what follows `worker`). Throws Error with a one-line reason on bad input. */
export function parseWorkerArgs(argv: readonly string[]): WorkerArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      model: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      threads: { type: 'string' },
      'context-size': { type: 'string' },
      parallel: { type: 'string' },
      alias: { type: 'string' },
      'watch-stdin': { type: 'boolean' },
    },
  });
  if (!values.model) throw new Error('--model PATH is required');
  const host = values.host ?? '127.0.0.1';
  // P1: an inference worker is an internal upstream; binding beyond loopback would bypass the gateway.
  if (!isLoopbackHost(host))
    throw new Error(`--host must be a loopback address (127.0.0.0/8 or ::1), got "${host}"`);
  const port = positiveInt('port', values.port, 0, 0);
  if (port > 65535) throw new Error('--port must be <= 65535');
  const cores = availableParallelism();
  // More threads than cores makes llama.cpp's spin-waiting threads fight each other (and the
  // gateway) for the CPU, which is tens to hundreds of times slower. The default leaves one core
  // to the gateway; an explicit value is still capped at the core count.
  const threads = Math.min(positiveInt('threads', values.threads, Math.max(1, cores - 1), 1), cores);
  const modelPath = values.model;
  const alias = values.alias ?? (modelPath.split(/[\\/]/).pop() ?? modelPath).replace(/\.gguf$/i, '');
  return {
    modelPath,
    host,
    port,
    threads,
    contextSize: positiveInt('context-size', values['context-size'], 2048, 128),
    alias,
    parallel: positiveInt('parallel', values.parallel, 1, 1),
    watchStdin: values['watch-stdin'] ?? false,
  };
}
