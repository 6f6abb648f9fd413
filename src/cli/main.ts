// `airlock <command> [flags]`. Exit codes: 0 ok, 1 failure, 2 usage error.
import { AirlockError, errorCatalogue } from '../errors.ts';
import { UsageError } from './args.ts';
import { commandRegistry } from './registry.ts';
import type { CliIo } from './types.ts';

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const registry = commandRegistry();
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const target = name === 'help' && rest[0] ? registry.get(rest[0]) : undefined;
    if (target) {
      io.stdout.write(`${target.usage}\n`);
      return 0;
    }
    io.stdout.write('usage: airlock <command> [flags]\n\ncommands:\n');
    for (const c of registry.values()) io.stdout.write(`  ${c.name.padEnd(10)} ${c.summary}\n`);
    io.stdout.write('\nairlock help <command> shows its flags. Commands that print data accept --json.\n');
    return name ? 0 : 2;
  }
  const command = registry.get(name);
  if (!command) {
    io.stderr.write(`airlock: unknown command "${name}"; known: ${[...registry.keys()].join(', ')}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`airlock ${name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (err instanceof AirlockError) {
      const spec = errorCatalogue[err.code];
      io.stderr.write(`airlock ${name}: ${err.code}: ${err.detail ?? spec.message}\n`);
      return 1;
    }
    io.stderr.write(`airlock ${name}: unexpected error: ${(err as Error).message}\n`);
    return 1;
  }
}
