// airlock serve --config FILE — runs in the foreground, logs JSON lines, and on SIGTERM/SIGINT
// stops accepting, drains in-flight requests, stops its workers and exits 0.
import { loadConfig } from '../../config/load.ts';
import { compileDlp, createLiveDlp } from '../../dlp/live-dlp.ts';
import { createLogRedactor, formatCrashReport } from '../../dlp/log-redactor.ts';
import { createLogger } from '../../logging.ts';
import { startAirlock } from '../../start.ts';
import { parseFlags, requireFlag } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the gateway in the foreground',
  usage: 'usage: airlock serve --config FILE',
  async run(argv, io) {
    const { values } = parseFlags(argv, { config: { type: 'string' } });
    const loaded = await loadConfig(requireFlag(values.config, 'config'));
    // Log lines are redacted with the DLP rules in force, including those an approved config change
    // swapped in after start (the gateway and this redactor share one live DLP).
    const dlp = createLiveDlp(compileDlp(loaded.config.dlp));
    const redactor = createLogRedactor({ scan: (text, field) => dlp.engine.scan(text, field) });
    const logger = createLogger(loaded.config.logging.level, undefined, redactor);
    // Crash reports go through the same redaction; diagnostic reports never dump the environment.
    process.report.excludeEnv = true;
    const crash = (kind: string) => (err: unknown) => {
      process.stderr.write(formatCrashReport(redactor, kind, err));
      process.exit(70);
    };
    process.on('uncaughtException', crash('uncaughtException'));
    process.on('unhandledRejection', crash('unhandledRejection'));
    const running = await startAirlock(loaded, { logger, egress: io.egress, dlp });
    logger.info(
      { event: 'ready', client: running.urls.client, admin: running.urls.admin ?? null },
      'airlock ready',
    );
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ event: 'stopping', signal }, 'draining');
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    await running.close();
    logger.info({ event: 'stopped' }, 'airlock stopped');
    logger.flush();
    return 0;
  },
};
