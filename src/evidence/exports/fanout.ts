// Fan-out: feeds every committed entry to every exporter, in index order. Called by the log after a
// commit is durable (never before: an export must not show an entry the log could still lose).
// Each exporter queues and works on its own, so a slow or dead sink never holds another one, the
// sequencer or a request (OTLP "Multi-Destination Exporting": one queue per destination).
import type { AuditEntry } from '../types.ts';
import type { AuditExporter, ExportHealth } from './types.ts';

export interface ExportFanout {
  /** Hand committed entries (index order) to every exporter. Non-blocking; never throws. */
  committed(entries: readonly AuditEntry[]): void;
  /** Per exporter, by name. */
  health(): Record<string, ExportHealth>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createExportFanout(exporters: readonly AuditExporter[]): ExportFanout {
  return {
    committed(entries) {
      for (const exporter of exporters) {
        for (const entry of entries) {
          try {
            exporter.export(entry);
          } catch {
            // The contract says export() never throws; a broken exporter still must not fail a commit.
          }
        }
      }
    },
    health() {
      const out: Record<string, ExportHealth> = {};
      for (const e of exporters) out[e.name] = e.health();
      return out;
    },
    async flush() {
      await Promise.all(exporters.map((e) => e.flush()));
    },
    async close() {
      await Promise.all(exporters.map((e) => e.close()));
    },
  };
}
