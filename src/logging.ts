// Structured JSON logs (pino). Redaction is the last line of defence: stages never log bodies or
// credentials, and these paths catch any that slip into a log object anyway (P5).
import { type DestinationStream, type Logger, pino } from 'pino';
import { createRedactingDestination, type LogRedactor } from './dlp/log-redactor.ts';

export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'adminKey',
  'clientKey',
];

/** With a redactor, every serialised line passes through it (credential formats anywhere in the
 *  line, not only under the named keys above). */
export function createLogger(level: string, destination?: DestinationStream, redactor?: LogRedactor): Logger {
  const dest = destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level,
      base: { service: 'airlock' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    redactor ? (createRedactingDestination(dest, redactor) as unknown as DestinationStream) : dest,
  );
}
