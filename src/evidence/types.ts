// The evidence plane's small API (DESIGN.md §5, promise P9). The pipeline's record stage calls
// `auditLog.append({...})`; auditors use the reader, the export and the offline verifier.
//
// Every entry is one leaf of an RFC 6962 Merkle tree; the leaf data is exactly the RFC 8785 canonical
// JSON of the `AuditEntry`. Checkpoints are C2SP signed notes (c2sp.org/signed-note) with a
// c2sp.org/tlog-checkpoint body, signed with Ed25519 by a key kept outside the database.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type AuditEventType =
  | 'auth.success'
  | 'auth.failure'
  | 'authz.decision'
  | 'quota.decision'
  | 'inspect.finding'
  | 'upstream.call'
  | 'usage'
  | 'key.created'
  | 'key.revoked'
  | 'key.rotated'
  | 'admin.change'
  | 'model.serving'
  | 'config.change'
  | 'worker.lifecycle'
  | 'egress.denied'
  | 'request.authorized'
  | 'request.completed'
  | 'task_token.issued'
  | 'task_token.refused'
  | 'task_token.revoked'
  | 'task_token.used';

export type AuditOutcome = 'allow' | 'deny' | 'error' | 'info';

export interface AuditPrincipal {
  readonly kind: string;
  readonly id: string;
  readonly credentialId?: string;
}

/**
 * What a caller records. Entries are permanent and exported to auditors, so an event MUST NOT carry
 * raw prompts, completions, tool arguments or results, secrets, credentials or personal data: record
 * DLP finding types, counts and `hashBody(key, bytes)` digests instead (DESIGN.md §5).
 */
export interface AuditEvent {
  readonly type: AuditEventType;
  readonly outcome: AuditOutcome;
  /** Defaults to the sequencer's clock when omitted. */
  readonly time?: Date;
  readonly requestId?: string;
  readonly traceId?: string;
  readonly principal?: AuditPrincipal;
  /** A stable error code from src/errors.ts when the outcome is deny or error. */
  readonly code?: string;
  /** Event-specific facts; JSON only (no undefined, NaN, Infinity, BigInt, Dates). */
  readonly detail?: JsonObject;
}

/** The stored form. Its RFC 8785 canonical JSON is the Merkle leaf data. */
export interface AuditEntry {
  /** Entry schema version. */
  readonly v: 1;
  /** Position in the log, assigned by the sequencer; equals the leaf index. */
  readonly index: number;
  /** RFC 3339 UTC timestamp. */
  readonly time: string;
  readonly type: AuditEventType;
  readonly outcome: AuditOutcome;
  readonly requestId?: string;
  readonly traceId?: string;
  readonly principal?: AuditPrincipal;
  readonly code?: string;
  readonly detail: JsonObject;
}

/** A leaf as stored: its index and exact canonical bytes (verifiers hash these, never a re-encoding). */
export interface LoggedEntry {
  readonly index: number;
  readonly data: Uint8Array;
}

/** A signed tree head. `note` is the complete signed note text, verifiable offline. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
}

/** The log's Ed25519 note signer (see note/signer-key.ts). `name` is the checkpoint origin. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly publicKey: Uint8Array;
  /** Verifier key `name+hex(keyid)+base64(0x01||pubkey)`, safe to publish. */
  readonly vkey: string;
  sign(message: Uint8Array): Uint8Array;
}

export interface AuditHealth {
  readonly ok: boolean;
  /** One line naming why the log refuses writes (fail closed). */
  readonly reason?: string;
}

/** Read side: what exports, proofs and `airlock audit` use. */
export interface AuditLogReader {
  /** Number of durable entries (the tree size). */
  size(): Promise<number>;
  /** Entries with from <= index < to, in index order. */
  entries(from: number, to: number): Promise<LoggedEntry[]>;
  /** Every entry carrying this request id, in index order. */
  entriesByRequest(requestId: string): Promise<LoggedEntry[]>;
  /** The latest stored checkpoint, or null before the first one. */
  checkpoint(): Promise<Checkpoint | null>;
  /** All stored checkpoints, smallest tree first. */
  checkpoints(): Promise<Checkpoint[]>;
  /** RFC 6962 §2.1.1 audit path of leaf `index` in the tree of `treeSize` (<= size()). */
  inclusionProof(index: number, treeSize: number): Promise<Uint8Array[]>;
  /** RFC 6962 §2.1.2 proof that the tree of size m is a prefix of the tree of size n. */
  consistencyProof(m: number, n: number): Promise<Uint8Array[]>;
  /** Stored perfect-subtree node hashes (level, index) for export; level 0 are the leaf hashes. */
  nodes(
    fromLevel0Index: number,
    toLevel0Index: number,
  ): Promise<{ level: number; index: number; hash: Uint8Array }[]>;
}

/** How an append may wait for company before it starts a commit of its own. */
export interface AppendOptions {
  /** Hold the entry up to this many ms (capped at 1000) so that it shares one group commit with the
   *  next append instead of paying an fsync alone; a checkpoint, close() or a full batch also ends the
   *  hold. The promise still resolves only when the entry is durable, and a failed commit rejects it
   *  as any other. For an entry nobody waits on at once (the gateway's pre-forward entry). */
  readonly holdMs?: number;
}

/**
 * The append-only audit log.
 *
 * Contract (every driver; test/integration/audit-log-contract.test.ts holds each one to it):
 * - `append` MUST resolve only after the entry, the tree nodes it completes and its index are durable
 *   (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on). A caller MUST NOT acknowledge a
 *   request before its `append` resolved (P9: no acknowledged request without a durable entry).
 * - Indices MUST be dense and assigned in commit order by one sequencer; concurrent appends are group
 *   committed, and a batch is all-or-nothing: a failed commit MUST NOT leave any row of it behind.
 * - Entries and tree nodes MUST NOT be updated or deleted once committed. A checkpoint MUST NOT be
 *   stored for a size whose entries are not durable, and two different roots MUST NOT be stored for one size.
 * - When a write fails the log fails closed: pending and later appends MUST reject with
 *   AirlockError('audit_unavailable') and `health()` MUST report why, until a probe write succeeds.
 * - A held append (`holdMs`) follows the same rules; its commit MUST start by the end of its hold
 *   even when nothing else is appended, and close() MUST commit it without waiting the hold out.
 * - `close()` MUST drain: it resolves after every accepted append settled and a final checkpoint
 *   covering them was stored; appends after close MUST reject.
 */
export interface AuditLog extends AuditLogReader {
  append(event: AuditEvent, options?: AppendOptions): Promise<{ index: number }>;
  /** Appends events with consecutive indices in one commit. */
  appendMany(events: readonly AuditEvent[]): Promise<{ first: number; count: number }>;
  /** Signs and stores a checkpoint of the current tree now (through the sequencer). */
  publishCheckpoint(): Promise<Checkpoint>;
  health(): AuditHealth;
  close(): Promise<void>;
}
