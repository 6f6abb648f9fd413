// The audit sink used until a tamper-evident log is configured: one structured log line per entry.
// It is as durable as the log stream, no more; the evidence plane's Merkle log replaces it.
import type { Logger } from 'pino';
import type { AuditSink } from './record.ts';

export function createLogAuditSink(logger: Logger): AuditSink {
  return {
    async append(event) {
      logger.info({ audit: event }, event.type);
    },
    health: () => ({ ok: true }),
  };
}
