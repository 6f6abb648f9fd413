// Composition helper: open the configured audit log driver with its signer and body-hash key.
import { isAbsolute, join } from 'node:path';
import { durationMs } from '../config/duration.ts';
import type { AuditConfig } from './config.ts';
import { loadOrCreateSecretKey, loadOrCreateSignerKey } from './note/signer-key.ts';
import { openPostgresAuditLog } from './postgres/audit-log.ts';
import { openSqliteAuditLog } from './sqlite/audit-log.ts';
import type { AuditLog, NoteSigner } from './types.ts';

export interface OpenedAuditLog {
  readonly log: AuditLog;
  readonly signer: NoteSigner;
  /** Key for hashBody(): reference prompts and responses without storing them. */
  readonly bodyHashKey: Uint8Array;
}

export async function openAuditLog(
  config: AuditConfig,
  deps: { dataDir: string; storeUrl?: string; onCommitted?: (leaves: readonly string[]) => void },
): Promise<OpenedAuditLog> {
  const at = (p: string) => (isAbsolute(p) ? p : join(deps.dataDir, p));
  const signer = loadOrCreateSignerKey(at(config.signingKey), config.origin);
  const bodyHashKey = loadOrCreateSecretKey(at(config.bodyHashKey));
  const common = {
    signer,
    maxBatch: config.maxBatch,
    checkpointIntervalMs: durationMs(config.checkpointInterval),
    ...(deps.onCommitted ? { onCommitted: deps.onCommitted } : {}),
  };
  if (config.driver === 'sqlite')
    return { log: openSqliteAuditLog({ path: at(config.path), ...common }), signer, bodyHashKey };
  const url = config.url ?? deps.storeUrl;
  if (url === undefined)
    throw new Error('audit.driver is postgres but neither audit.url nor store.url is set');
  return { log: await openPostgresAuditLog({ url, ...common }), signer, bodyHashKey };
}
