// Fan-out: feeds every committed entry to every exporter, in index order. Called by the log after a
// commit is durable (never before: an export must not show an entry the log could still lose).
// Each exporter queues and works on its own, so a slow or dead sink never holds another one, the
// sequencer or a request (OTLP "Multi-Destination Exporting": one queue per destination).
import type { AuditEntry } from '../types.ts';
import type { AuditExporter, ExportHealth } from './types.ts';

export interface ExportFanout {
  /** Hand committed entries (index order) to every exporter. Non-blocking; never throws. */
  committed(entries: readonly AuditEntry[]): void;
  /**
   * The same from the sequencer's commit path: the batch's leaf data (RFC 8785 JSON of each entry,
   * index order). Costs the caller one push; parsing happens on a later turn of the event loop.
   */
  committedLeaves(leaves: readonly string[]): void;
  /** Per exporter, by name. */
  health(): Record<string, ExportHealth>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createExportFanout(exporters: readonly AuditExporter[]): ExportFanout {
  let pending: (readonly string[])[] = [];
  let unparseable = 0;
  const committed = (entries: readonly AuditEntry[]) => {
    for (const exporter of exporters) {
      for (const entry of entries) {
        try {
          exporter.export(entry);
        } catch {
          // The contract says export() never throws; a broken exporter still must not fail a commit.
        }
      }
    }
  };
  const drainLeaves = () => {
    const batches = pending;
    pending = [];
    for (const leaves of batches) {
      const entries: AuditEntry[] = [];
      for (const leaf of leaves) {
        try {
          entries.push(JSON.parse(leaf) as AuditEntry);
        } catch {
          unparseable++;
        }
      }
      committed(entries);
    }
  };
  return {
    committed,
    committedLeaves(leaves) {
      if (exporters.length === 0 || leaves.length === 0) return;
      if (pending.length === 0) setImmediate(drainLeaves);
      pending.push(leaves);
    },
    health() {
      const out: Record<string, ExportHealth> = {};
      for (const e of exporters) {
        const h = e.health();
        out[e.name] = unparseable > 0 ? { ...h, dropped: h.dropped + unparseable } : h;
      }
      return out;
    },
    async flush() {
      drainLeaves();
      await Promise.all(exporters.map((e) => e.flush()));
    },
    async close() {
      drainLeaves();
      await Promise.all(exporters.map((e) => e.close()));
    },
  };
}
