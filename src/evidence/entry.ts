// AuditEvent → AuditEntry → leaf bytes. The leaf data is the RFC 8785 (JSON Canonicalization Scheme)
// serialization of the entry, so any verifier in any language re-derives identical bytes from the
// same JSON value, and the bytes a verifier hashes are exactly the bytes that were stored.
import { createHmac } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEntry, AuditEvent, AuditEventType, AuditOutcome, JsonObject } from './types.ts';

const EVENT_TYPES: ReadonlySet<string> = new Set<AuditEventType>([
  'auth.success',
  'auth.failure',
  'authz.decision',
  'quota.decision',
  'inspect.finding',
  'upstream.call',
  'usage',
  'key.created',
  'key.revoked',
  'key.rotated',
  'admin.change',
  'config.change',
  'worker.lifecycle',
  'egress.denied',
  'request.authorized',
  'request.completed',
]);
const OUTCOMES: ReadonlySet<string> = new Set<AuditOutcome>(['allow', 'deny', 'error', 'info']);

/** An event checked at append time, waiting for its index. */
export interface PendingEntry {
  readonly fields: Omit<AuditEntry, 'index'>;
}

/**
 * Validate an event and fix its time. Throws TypeError for a malformed event so one bad caller
 * rejects alone instead of failing the whole group commit it would have joined.
 */
export function prepareEntry(event: AuditEvent, now: Date): PendingEntry {
  if (!EVENT_TYPES.has(event.type)) throw new TypeError(`unknown audit event type ${String(event.type)}`);
  if (!OUTCOMES.has(event.outcome)) throw new TypeError(`unknown audit outcome ${String(event.outcome)}`);
  const detail = event.detail ?? {};
  // canonicalize() throws on values JSON cannot carry; round-tripping drops nothing silently.
  const encoded = canonicalize(detail);
  if (encoded === undefined) throw new TypeError('audit detail is not JSON');
  const time = event.time ?? now;
  if (Number.isNaN(time.getTime())) throw new TypeError('audit time is not a valid date');
  const fields: Omit<AuditEntry, 'index'> = {
    v: 1,
    time: time.toISOString(),
    type: event.type,
    outcome: event.outcome,
    detail: JSON.parse(encoded) as JsonObject,
    ...(event.requestId === undefined ? {} : { requestId: event.requestId }),
    ...(event.traceId === undefined ? {} : { traceId: event.traceId }),
    ...(event.code === undefined ? {} : { code: event.code }),
    ...(event.principal === undefined ? {} : { principal: principalOf(event.principal) }),
  };
  return { fields };
}

function principalOf(p: NonNullable<AuditEvent['principal']>): NonNullable<AuditEntry['principal']> {
  return p.credentialId === undefined
    ? { kind: p.kind, id: p.id }
    : { kind: p.kind, id: p.id, credentialId: p.credentialId };
}

/** The leaf data of entry `index`: RFC 8785 canonical JSON bytes. */
export function encodeEntry(pending: PendingEntry, index: number): { entry: AuditEntry; data: Buffer } {
  const entry: AuditEntry = { ...pending.fields, index };
  return { entry, data: Buffer.from(canonicalize(entry)!, 'utf8') };
}

/** Parse leaf bytes back into an entry; `canonical` says whether they are exactly RFC 8785 form. */
export function decodeEntry(data: Uint8Array): { entry: AuditEntry; canonical: boolean } {
  const text = Buffer.from(data).toString('utf8');
  const entry = JSON.parse(text) as AuditEntry;
  return { entry, canonical: canonicalize(entry) === text };
}

/**
 * HMAC-SHA-256 of a body under the log's body-hash key, lower-case hex. Lets an entry reference a
 * prompt or response without storing it, while an attacker without the key cannot confirm guesses of
 * short bodies (a plain hash of "yes" is trivially reversed).
 */
export function hashBody(key: Uint8Array | string, bytes: Uint8Array | string): string {
  const k = typeof key === 'string' ? Buffer.from(key, 'hex') : key;
  return createHmac('sha256', k).update(bytes).digest('hex');
}
