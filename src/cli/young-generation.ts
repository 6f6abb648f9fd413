// V8's young generation for `airlock serve`. On a machine with a few GB of memory V8 lets each
// semi-space grow to 64 MB; with the gateway's allocation rate a scavenge then comes every few hundred
// requests and copies so much that it pauses the event loop for 10–20 ms (measured at one request in
// flight: a p99.9 of that size). 16 MB semi-spaces scavenge four times as often for about a quarter of
// the pause each, the same GC CPU per request in total.
//
// The size is fixed when the isolate is created: v8.setFlagsFromString afterwards is accepted and has
// no effect (checked with v8.getHeapSpaceStatistics). So bin/airlock.js replaces the process image
// with the same node, flags, script, arguments and environment plus the flag (process.execve: same
// PID, same open file descriptors, nothing has started yet). An operator's own setting (a node flag or
// NODE_OPTIONS) wins, and if execve is unavailable or refused the gateway runs with V8's default.

export const SEMI_SPACE_MB = 16;

/** The argv to re-exec `airlock serve` with, or undefined to carry on in this process. */
export function youngGenerationReexec(opts: {
  readonly execPath: string;
  readonly execArgv: readonly string[];
  /** process.argv: [node, script, ...command] */
  readonly argv: readonly string[];
  readonly nodeOptions: string | undefined;
}): string[] | undefined {
  if (opts.argv[2] !== 'serve') return undefined;
  // V8 accepts both spellings; the operator (or our own earlier exec) already chose.
  const chosen = (s: string) => /--max[-_]semi[-_]space[-_]size/.test(s);
  if (opts.execArgv.some(chosen) || chosen(opts.nodeOptions ?? '')) return undefined;
  return [opts.execPath, `--max-semi-space-size=${SEMI_SPACE_MB}`, ...opts.execArgv, ...opts.argv.slice(1)];
}
