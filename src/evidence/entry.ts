// AuditEvent → AuditEntry → leaf bytes. The leaf data is the RFC 8785 (JSON Canonicalization Scheme)
// serialization of the entry, so any verifier in any language re-derives identical bytes from the
// same JSON value, and the bytes a verifier hashes are exactly the bytes that were stored.
import { createHmac } from 'node:crypto';
import canonicalize from 'canonicalize';
import { canonicalJson } from './canonical-json.ts';
import type { AuditEntry, AuditEvent, AuditEventType, AuditOutcome } from './types.ts';

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
  'model.serving',
  'config.change',
  'worker.lifecycle',
  'egress.denied',
  'request.authorized',
  'request.completed',
  'task_token.issued',
  'task_token.refused',
  'task_token.revoked',
  'task_token.used',
]);
const OUTCOMES: ReadonlySet<string> = new Set<AuditOutcome>(['allow', 'deny', 'error', 'info']);

/**
 * An event checked at append time, waiting for its index: the leaf's canonical JSON split around the
 * index value. RFC 8785 sorts members, and "index" falls after "code" and "detail" and before
 * "outcome", so the leaf is `pre + index + post` and no encoding happens once the index is known.
 * Plain strings, so a batch crosses to a writer thread as a cheap structured clone.
 */
export interface PendingEntry {
  readonly pre: string;
  readonly post: string;
  readonly requestId: string | null;
}

/** `,"name":<canonical value>` or '' when the value is absent (or has no JSON form). */
function member(name: string, v: unknown): string {
  if (v === undefined) return '';
  const s = canonicalJson(v);
  return s === undefined ? '' : `,"${name}":${s}`;
}

/** Date.prototype.toISOString of the last second seen, without its milliseconds: every request
 *  writes two entries stamped within the same second, and toISOString costs ~0.8 µs. */
let isoSecond = Number.NaN;
let isoPrefix = '';

/** Exactly `d.toISOString()` for a valid date. */
export function isoTime(d: Date): string {
  const ms = d.getTime();
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const iso = d.toISOString();
    isoSecond = second;
    isoPrefix = iso.slice(0, -4); // drops "sssZ"
    return iso;
  }
  const frac = ms - second * 1000;
  return `${isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

/**
 * Validate an event, fix its time and encode it. Throws TypeError for a malformed event so one bad
 * caller rejects alone instead of failing the whole group commit it would have joined.
 */
export function prepareEntry(event: AuditEvent, now: Date): PendingEntry {
  if (!EVENT_TYPES.has(event.type)) throw new TypeError(`unknown audit event type ${String(event.type)}`);
  if (!OUTCOMES.has(event.outcome)) throw new TypeError(`unknown audit outcome ${String(event.outcome)}`);
  // canonicalJson() throws on values JSON cannot carry; nothing is dropped silently.
  const detail = canonicalJson(event.detail ?? {});
  if (detail === undefined) throw new TypeError('audit detail is not JSON');
  const time = event.time ?? now;
  if (Number.isNaN(time.getTime())) throw new TypeError('audit time is not a valid date');
  // Members in RFC 8785 order: code, detail | index | outcome, principal, requestId, time, traceId, type, v.
  const code = member('code', event.code);
  const pre = `{${code.slice(1)}${code === '' ? '' : ','}"detail":${detail},"index":`;
  const post =
    `,"outcome":"${event.outcome}"` +
    member('principal', event.principal === undefined ? undefined : principalOf(event.principal)) +
    member('requestId', event.requestId) +
    `,"time":"${isoTime(time)}"` +
    member('traceId', event.traceId) +
    `,"type":"${event.type}","v":1}`;
  return { pre, post, requestId: typeof event.requestId === 'string' ? event.requestId : null };
}

function principalOf(p: NonNullable<AuditEvent['principal']>): NonNullable<AuditEntry['principal']> {
  return p.credentialId === undefined
    ? { kind: p.kind, id: p.id }
    : { kind: p.kind, id: p.id, credentialId: p.credentialId };
}

/** The leaf data of entry `index`: RFC 8785 canonical JSON bytes. */
export function encodeEntry(pending: PendingEntry, index: number): Buffer {
  return Buffer.from(`${pending.pre}${index}${pending.post}`, 'utf8');
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
