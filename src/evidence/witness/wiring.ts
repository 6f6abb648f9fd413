// Glue for the gateway: what `startAirlock` needs to run witnessing from `audit.witnessing` config,
// kept here so the wiring in src/start.ts and src/egress/policy.ts is a few lines.
import { isAbsolute, join } from 'node:path';
import { durationMs } from '../../config/duration.ts';
import { canonicalIp } from '../../egress/address.ts';
import { urlTarget } from '../../egress/policy.ts';
import type { AuditLogReader } from '../types.ts';
import type { WitnessingConfig } from './config.ts';
import type { CosignPublisher, PublishEvent } from './publisher.ts';
import { createCosignPublisher } from './publisher.ts';

/** Egress allowlist entries (`host:port`, `[v6]:port`) for the configured witnesses (P1). */
export function witnessEgressEntries(config: WitnessingConfig): string[] {
  return config.witnesses.map((w) => {
    const t = urlTarget(new URL(w.url), { 'http:': 80, 'https:': 443 })!;
    return canonicalIp(t.host)?.family === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
  });
}

/** The periodic publisher, or undefined when no witnesses are configured. Call `start()` on it. */
export function openCosignPublisher(
  config: WitnessingConfig,
  deps: {
    readonly log: Pick<AuditLogReader, 'checkpoint' | 'consistencyProof'>;
    readonly logVkey: string;
    readonly dataDir: string;
    readonly onEvent?: (event: PublishEvent) => void;
  },
): CosignPublisher | undefined {
  if (config.witnesses.length === 0) return undefined;
  return createCosignPublisher({
    log: deps.log,
    logVkey: deps.logVkey,
    witnesses: config.witnesses,
    k: config.k,
    dir: isAbsolute(config.dir) ? config.dir : join(deps.dataDir, config.dir),
    intervalMs: durationMs(config.interval),
    timeoutMs: durationMs(config.timeout),
    ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
  });
}
