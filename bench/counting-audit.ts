// The audit sink of the MCP benches: encodes each entry the way the audit log does (canonical JSON,
// SHA-256 leaf hash) and keeps only a count: a sink that retains every entry grows the heap and turns
// the tail into GC pauses.
import { createHash } from 'node:crypto';
import { encodeEntry, prepareEntry } from '../src/evidence/entry.ts';
import type { RecordingAuditSink } from '../test/fixtures/mcp/harness.ts';

const LEAF_PREFIX = Buffer.from([0]); // RFC 6962 §2.1 leaf hash

export interface CountingAuditSink extends RecordingAuditSink {
  /** Entries appended so far. */
  readonly appended: number;
}

export function createCountingAuditSink(): CountingAuditSink {
  let appended = 0;
  return {
    entries: [],
    get appended() {
      return appended;
    },
    async append(event) {
      const leaf = encodeEntry(prepareEntry(event, new Date()), appended);
      createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
      return { index: appended++ };
    },
    health: () => ({ ok: true as const }),
  };
}
