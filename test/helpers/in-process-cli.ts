// Runs one CLI command in this process, as src/cli/main.ts would: its stdout and stderr captured, and a
// refusal (an AirlockError) turned into one line on stderr and exit code 1.
import { PassThrough } from 'node:stream';
import type { CliCommand } from '../../src/cli/types.ts';
import { AirlockError } from '../../src/errors.ts';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whichever fields a command prints
  json(): any;
}

export async function runCliCommand(command: CliCommand, ...argv: string[]): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  let code: number;
  try {
    code = await command.run(argv, { stdout, stderr, env: { USER: 'tester' }, cwd: '/' });
  } catch (e) {
    if (!(e instanceof AirlockError)) throw e;
    stderr.write(`${e.code}: ${e.detail ?? e.message}\n`);
    code = 1;
  }
  const text = Buffer.concat(out).toString('utf8');
  return { code, out: text, err: Buffer.concat(err).toString('utf8'), json: () => JSON.parse(text) };
}
