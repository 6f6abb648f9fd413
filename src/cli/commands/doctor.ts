// airlock doctor --config FILE [--json] — offline air-gap check (P1): every address the config would
// reach, backend phone-home settings, plain-HTTP listeners, TLS key permissions. Exit 1 on any error.
import { loadConfig } from '../../config/load.ts';
import { runDoctor } from '../../egress/doctor.ts';
import { formatDoctorReport } from '../../egress/doctor-format.ts';
import { AirlockError } from '../../errors.ts';
import { parseFlags, printJson, requireFlag } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'check a configuration for air-gap problems, offline',
  usage: 'usage: airlock doctor --config FILE [--json]',
  async run(argv, io) {
    const { values } = parseFlags(argv, {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
    });
    const file = requireFlag(values.config, 'config');
    let loaded: Awaited<ReturnType<typeof loadConfig>>;
    try {
      loaded = await loadConfig(file);
    } catch (err) {
      if (!(err instanceof AirlockError) || err.code !== 'config_invalid') throw err;
      if (values.json) printJson(io.stdout, { valid: false, errors: (err.detail ?? '').split('\n') });
      else io.stderr.write(`${err.detail}\n`);
      return 1;
    }
    const report = runDoctor(loaded.config, { configPath: loaded.path, configDir: loaded.dir });
    if (values.json) printJson(io.stdout, report);
    else io.stdout.write(formatDoctorReport(report));
    return report.exitCode;
  },
};
