// RFC 5424 syslog over TCP or TLS (RFC 5425) with RFC 6587 §3.4.1 octet-counting frames, carrying a
// CEF or JSON payload. One long-lived connection; while the receiver is down, entries wait in a
// bounded queue (overflow is dropped and counted) and the connection is retried with capped,
// jittered exponential backoff. TLS always verifies the receiver against the configured CA and host
// name (RFC 5425 §5.2); an optional client certificate authenticates airlock to the receiver.
// Syslog has no acknowledgements: bytes the kernel accepted before a connection broke may be lost;
// the Merkle log stays complete and `airlock audit export` can re-derive any range.
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import canonicalize from 'canonicalize';
import type { AuditEntry } from '../types.ts';
import { toCef } from './cef.ts';
import { backoffDelay, createBoundedQueue, oneLine } from './queue.ts';
import { type FacilityName, frameOctetCounted, toRfc5424 } from './rfc5424.ts';
import { type AuditExporter, DEFAULT_BACKOFF, type ExporterDeps, type ExportHealth } from './types.ts';

export interface SyslogOptions {
  readonly name: string;
  readonly transport: 'tcp' | 'tls';
  readonly host: string;
  readonly port: number;
  readonly format: 'cef' | 'json';
  /** PEM contents (already read from the configured files). `ca` is required for tls. */
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly appName: string;
  readonly facility: FacilityName;
  readonly sdId: string;
  readonly maxQueue: number;
  readonly connectTimeoutMs: number;
  /** How long close() waits for queued entries to be written before dropping them. */
  readonly closeTimeoutMs: number;
}

const BATCH = 256;

export function createSyslogExporter(opts: SyslogOptions, deps: ExporterDeps): AuditExporter {
  if (opts.transport === 'tls' && opts.ca === undefined)
    throw new Error(`${opts.name}: tls needs a CA to verify the receiver (RFC 5425 §5.2)`);
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const header = {
    facility: opts.facility,
    hostname: deps.hostname ?? osHostname(),
    appName: opts.appName,
    procId: String(process.pid),
    sdId: opts.sdId,
  };
  const payload =
    opts.format === 'cef'
      ? (e: AuditEntry) => toCef(e, deps.version)
      : (e: AuditEntry) => canonicalize(e) ?? '{}';
  const queue = createBoundedQueue<AuditEntry>(opts.maxQueue);
  let socket: Socket | undefined;
  let connected = false;
  let waitingDrain = false;
  let pumpScheduled = false;
  let attempt = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let failure: string | undefined = 'not connected yet';
  let closed = false;
  let exported = 0;
  let idle: (() => void)[] = [];

  function settleIdle(): void {
    const waiting = idle;
    idle = [];
    for (const resolve of waiting) resolve();
  }

  function connect(): void {
    if (closed || socket) return;
    const s =
      opts.transport === 'tls'
        ? tlsConnect({
            host: opts.host,
            port: opts.port,
            ca: opts.ca,
            ...(opts.cert !== undefined ? { cert: opts.cert, key: opts.key } : {}),
            ...(isIP(opts.host) === 0 ? { servername: opts.host } : {}),
            minVersion: 'TLSv1.2',
          })
        : netConnect({ host: opts.host, port: opts.port });
    socket = s;
    s.setTimeout(opts.connectTimeoutMs, () =>
      s.destroy(new Error(`connect timeout after ${opts.connectTimeoutMs}ms`)),
    );
    s.on(opts.transport === 'tls' ? 'secureConnect' : 'connect', () => {
      s.setTimeout(0);
      s.setKeepAlive(true);
      s.setNoDelay(true);
      connected = true;
      attempt = 0;
      if (failure !== undefined) deps.log?.('info', 'syslog export connected', { exporter: opts.name });
      failure = undefined;
      schedulePump();
    });
    s.on('data', () => {}); // receivers may send nothing meaningful; never buffer it
    s.on('drain', () => {
      waitingDrain = false;
      schedulePump();
    });
    s.on('error', (err) => {
      const reason = oneLine(err);
      if (failure === undefined)
        deps.log?.('warn', 'syslog export disconnected', { exporter: opts.name, reason });
      failure = reason;
    });
    s.on('close', () => {
      socket = undefined;
      connected = false;
      waitingDrain = false;
      failure ??= 'connection closed by receiver';
      settleIdle();
      if (closed) return;
      retryTimer = setTimeout(
        () => {
          retryTimer = undefined;
          connect();
        },
        backoffDelay(attempt++, backoff),
      );
      retryTimer.unref();
    });
  }

  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    // Off the commit path: formatting and writing happen on a later turn of the event loop.
    setImmediate(pump);
  }

  function pump(): void {
    pumpScheduled = false;
    const s = socket;
    while (connected && s && !waitingDrain && queue.size > 0) {
      const batch = queue.take(BATCH);
      const frames: Buffer[] = [];
      for (const entry of batch) {
        try {
          frames.push(frameOctetCounted(toRfc5424(entry, header, payload(entry))));
        } catch {
          queue.countDropped(1);
        }
      }
      exported += frames.length;
      if (!s.write(Buffer.concat(frames))) waitingDrain = true;
    }
    if (queue.size === 0 && !waitingDrain) settleIdle();
  }

  /** Resolves when the queue is written and the socket buffer drained, or the connection is gone. */
  function whenIdle(): Promise<void> {
    if (!connected || (queue.size === 0 && !waitingDrain && !pumpScheduled && socket!.writableLength === 0))
      return Promise.resolve();
    return new Promise<void>((resolve) => {
      idle.push(resolve);
      schedulePump();
    }).then(() => waitWritten());
  }

  function waitWritten(): Promise<void> {
    const s = socket;
    if (!s || s.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      s.once('drain', resolve);
      s.once('close', resolve);
    });
  }

  connect();

  return {
    name: opts.name,
    export(entry) {
      if (closed) {
        queue.countDropped(1);
        return;
      }
      if (queue.push(entry) && connected) schedulePump();
    },
    flush: whenIdle,
    async close() {
      if (closed) return;
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const s = socket;
      if (s) {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, opts.closeTimeoutMs);
        });
        await Promise.race([whenIdle(), deadline]);
        const gone = new Promise<void>((resolve) => {
          if (s.destroyed) resolve();
          else s.once('close', () => resolve());
        });
        s.end();
        await Promise.race([gone, deadline]);
        clearTimeout(timer);
        s.destroy();
      }
      queue.countDropped(queue.take(queue.size).length);
      settleIdle();
    },
    health(): ExportHealth {
      const reason = closed ? 'closed' : failure;
      return {
        ok: connected && !closed,
        ...(reason !== undefined && !(connected && !closed) ? { reason } : {}),
        dropped: queue.dropped,
        queued: queue.size,
        exported,
      };
    },
  };
}
