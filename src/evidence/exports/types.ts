// Exports: derived copies of committed audit entries for the site's own tools (SIEM, log shippers).
// The Merkle log stays the source of truth (DESIGN.md §5, P9); an export is best effort by design.
//
// Contract (every exporter; test/integration/exports-*.test.ts hold each one to it):
// - `export(entry)` MUST NOT block, await, throw or fail a request: it enqueues and returns. Work
//   (formatting, I/O) happens later, off the request path.
// - The queue MUST be bounded; an entry that does not fit is dropped and counted in `health().dropped`.
// - A network sink MUST retry / reconnect with capped exponential backoff and keep entries queued
//   (up to the bound) while it is down; it MUST NOT weaken transport security to get through.
// - Entries MUST be exported in index order per exporter; a gap is always a counted drop.
// - `flush()` resolves when everything queued at the call was handed to the sink (or dropped);
//   `close()` flushes (bounded by a deadline for network sinks), then releases files and sockets.
import type { AuditEntry } from '../types.ts';

export interface ExportHealth {
  readonly ok: boolean;
  /** One line naming why the sink is not delivering (e.g. `ECONNREFUSED 127.0.0.1:6514`). */
  readonly reason?: string;
  /** Entries dropped since start (queue full, write failed, sink refused). Never reset. */
  readonly dropped: number;
  /** Entries waiting in memory. */
  readonly queued: number;
  /** Entries handed to the sink since start. */
  readonly exported: number;
}

export interface AuditExporter {
  /** Stable name for health and metrics: `jsonl:/var/lib/airlock/exports/audit.jsonl`. */
  readonly name: string;
  /** Enqueue a committed entry. Non-blocking; never throws. */
  export(entry: AuditEntry): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  health(): ExportHealth;
}

/** What exporter factories get from the composition root. Only what they use. */
export interface ExporterDeps {
  /** Relative export paths and TLS files resolve against it. */
  readonly dataDir: string;
  /** airlock's version (CEF Device Version, OCSF metadata.product.version). */
  readonly version: string;
  /** RFC 5424 HOSTNAME; defaults to os.hostname(). */
  readonly hostname?: string;
  /** Reconnect / retry backoff for network sinks; tests shorten it. */
  readonly backoff?: Backoff;
  /** One line per state change (connected, disconnected, dropping); never entry contents. */
  readonly log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 30_000 };
