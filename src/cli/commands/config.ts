// airlock config validate FILE — schema and cross-reference checks, errors naming path and fix.
import { loadConfig } from '../../config/load.ts';
import { AirlockError } from '../../errors.ts';
import { parseFlags, printJson, UsageError } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const configCommand: CliCommand = {
  name: 'config',
  summary: 'validate a configuration file',
  usage: 'usage: airlock config validate FILE [--json]',
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'validate') throw new UsageError('expected: validate FILE');
    const { values, positionals } = parseFlags(rest, { json: { type: 'boolean' } }, 1);
    const file = positionals[0];
    if (!file) throw new UsageError('expected a config file');
    try {
      const loaded = await loadConfig(file);
      if (values.json)
        printJson(io.stdout, {
          valid: true,
          path: loaded.path,
          upstreams: loaded.config.upstreams.length,
          models: loaded.config.models.map((m) => m.alias),
        });
      else io.stdout.write(`${loaded.path}: valid\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof AirlockError) || err.code !== 'config_invalid') throw err;
      if (values.json) printJson(io.stdout, { valid: false, errors: (err.detail ?? '').split('\n') });
      else io.stderr.write(`${err.detail}\n`);
      return 1;
    }
  },
};
