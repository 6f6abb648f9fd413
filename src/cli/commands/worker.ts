// `airlock worker`: serve one GGUF model over an OpenAI-compatible API on loopback (normally started
// by the gateway's supervisor for `kind: embedded` upstreams, not by hand).

import { workerUsage } from '../../inference/worker/args.ts';
import { runWorker } from '../../inference/worker/main.ts';
import type { CliCommand } from '../types.ts';

export const workerCommand: CliCommand = {
  name: 'worker',
  summary: 'Serve a GGUF model on loopback (the embedded inference worker).',
  usage: workerUsage,
  run: (argv, io) => runWorker(argv, { stdout: io.stdout, stderr: io.stderr }),
};
