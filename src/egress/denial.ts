// What a refused egress attempt looks like to the caller (an async connection error) and to the
// recorder (an EgressEvent). Imports nothing: loaded by the guard before any other module.

/** The `code` on every error the guard produces; callers branch on it, never on the message. */
export const EGRESS_ERROR_CODE = 'EAIRLOCKEGRESS';

export type EgressKind = 'tcp' | 'udp' | 'dns';

/** One refused attempt, as recorded in the audit log (no stack, no payload). */
export interface EgressEvent {
  readonly kind: EgressKind;
  readonly host: string;
  /** null for DNS queries (no port involved). */
  readonly port: number | null;
  /** One line, stack-free: `127.0.0.77:9 is not on the allowlist`. */
  readonly reason: string;
  /** ISO 8601 time of the attempt. */
  readonly at: string;
}

export interface EgressError extends Error {
  readonly code: typeof EGRESS_ERROR_CODE;
  readonly host: string;
  readonly port: number | null;
  readonly kind: EgressKind;
}

/** `host:port` with IPv6 bracketed, or the port as given when it was not a valid port. */
export function describeTarget(host: string, port: number | string | null): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === null ? `name ${host}` : `${h}:${port}`;
}

export function egressDenial(
  kind: EgressKind,
  host: string,
  port: number | null,
  shown: number | string | null = port,
): {
  error: EgressError;
  event: EgressEvent;
} {
  const reason = `${describeTarget(host, shown)} is not on the allowlist`;
  const error = Object.assign(new Error(`egress refused by airlock policy: ${reason}`), {
    code: EGRESS_ERROR_CODE,
    host,
    port,
    kind,
  }) as EgressError;
  return { error, event: Object.freeze({ kind, host, port, reason, at: new Date().toISOString() }) };
}
