// Contract for `airlock <command>`. Each command is one file in src/cli/commands/ exporting a
// `CliCommand`; src/cli/registry.ts maps names to them. Commands that print data accept --json and
// then print exactly one JSON document on stdout (scripts rely on it); human text otherwise.
import type { Readable, Writable } from 'node:stream';
import type { EgressEvent } from '../egress/denial.ts';
import type { EgressGuard } from '../egress/guard.ts';

export interface CliIo {
  readonly stdin?: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The process-wide egress guard bin/airlock.js installed before anything else loaded. */
  readonly egress?: { readonly guard: EgressGuard; onDenied(handler: (e: EgressEvent) => void): void };
}

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** Usage text shown by `airlock help <name>` and on usage errors. */
  readonly usage: string;
  /** argv is what follows the command name. Returns the process exit code. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
