// CEF (ArcSight Common Event Format, "Implementing ArcSight CEF" rev. 25): one line per entry.
//   CEF:0|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
// Header fields escape `\` and `|`; extension values escape `\`, `=`, and carry CR / LF as the two
// characters `\r` / `\n`. Keys are fixed here (never taken from the entry), so no key needs escaping.
import canonicalize from 'canonicalize';
import type { AuditEntry, AuditOutcome } from '../types.ts';

/** CEF severity 0–10 (0–3 low, 4–6 medium, 7–8 high, 9–10 very high). */
export const CEF_SEVERITY: Readonly<Record<AuditOutcome, number>> = { info: 1, allow: 3, deny: 6, error: 8 };

export function escapeCefHeader(value: string): string {
  // Newlines cannot appear in the header; a space keeps the line one line.
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, ' ');
}

export function escapeCefValue(value: string): string {
  return value.replace(/[\\=\r\n]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
}

function eventName(entry: AuditEntry): string {
  const words = entry.type.replace(/[._]/g, ' ');
  return `${words[0]!.toUpperCase()}${words.slice(1)}: ${entry.outcome}${entry.code ? ` (${entry.code})` : ''}`;
}

/** CEF line for one entry (no syslog header). `version` is airlock's version. */
export function toCef(entry: AuditEntry, version: string): string {
  const header = [
    'CEF:0',
    'airlock',
    'airlock',
    escapeCefHeader(version),
    escapeCefHeader(entry.type),
    escapeCefHeader(eventName(entry)),
    String(CEF_SEVERITY[entry.outcome] ?? 5),
  ].join('|');
  const ext: [string, string][] = [];
  const time = Date.parse(entry.time);
  if (Number.isFinite(time)) ext.push(['rt', String(time)]);
  ext.push(['externalId', String(entry.index)], ['outcome', entry.outcome]);
  if (entry.code !== undefined) ext.push(['reason', entry.code]);
  if (entry.principal) {
    ext.push(['suser', entry.principal.id]);
    if (entry.principal.credentialId !== undefined) ext.push(['suid', entry.principal.credentialId]);
    ext.push(['cs3Label', 'principalKind'], ['cs3', entry.principal.kind]);
  }
  if (entry.requestId !== undefined) ext.push(['cs1Label', 'requestId'], ['cs1', entry.requestId]);
  if (entry.traceId !== undefined) ext.push(['cs2Label', 'traceId'], ['cs2', entry.traceId]);
  ext.push(['cs4Label', 'detail'], ['cs4', canonicalize(entry.detail) ?? '{}']);
  return `${header}|${ext.map(([k, v]) => `${k}=${escapeCefValue(v)}`).join(' ')}`;
}
