// RFC 5424 syslog messages and RFC 6587 §3.4.1 octet-counting frames.
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID param="value" …] MSG
// Header fields are PRINTUSASCII (%d33-126) with length limits (§6.2.4–6.2.7); SD-PARAM values
// escape `"`, `\` and `]` (§6.3.3). MSG carries CEF or JSON as UTF-8 without a BOM (MSG-ANY).
import type { AuditEntry, AuditOutcome } from '../types.ts';

/** RFC 5424 §6.2.1 facility codes. */
export const FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type FacilityName = keyof typeof FACILITIES;

/** Outcome → RFC 5424 severity: a denial is a warning (4), an error is an error (3). */
export const SYSLOG_SEVERITY: Readonly<Record<AuditOutcome, number>> = {
  allow: 6,
  info: 6,
  deny: 4,
  error: 3,
};

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/** PRINTUSASCII only, at most `max` characters; NILVALUE `-` when nothing is left. */
export function headerField(value: string | undefined, max: number): string {
  const v = (value ?? '').replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return v === '' ? '-' : v;
}

export function escapeSdValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

export interface SyslogHeader {
  readonly facility: FacilityName;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  /** SD-ID for airlock's parameters: `name@<private enterprise number>`. */
  readonly sdId: string;
}

export function rfc5424Timestamp(time: string): string {
  if (TIMESTAMP.test(time)) return time;
  const t = Date.parse(time);
  return Number.isFinite(t) ? new Date(t).toISOString() : '-';
}

/** One RFC 5424 message for an entry; `msg` is the already formatted payload (CEF or JSON). */
export function toRfc5424(entry: AuditEntry, h: SyslogHeader, msg: string): string {
  const pri = FACILITIES[h.facility] * 8 + (SYSLOG_SEVERITY[entry.outcome] ?? 5);
  const params: [string, string][] = [['index', String(entry.index)]];
  if (entry.requestId !== undefined) params.push(['requestId', entry.requestId]);
  if (entry.traceId !== undefined) params.push(['traceId', entry.traceId]);
  params.push(['outcome', entry.outcome]);
  if (entry.code !== undefined) params.push(['code', entry.code]);
  const sd = `[${h.sdId}${params.map(([k, v]) => ` ${k}="${escapeSdValue(v)}"`).join('')}]`;
  return (
    `<${pri}>1 ${rfc5424Timestamp(entry.time)} ${headerField(h.hostname, 255)} ` +
    `${headerField(h.appName, 48)} ${headerField(h.procId, 128)} ${headerField(entry.type, 32)} ${sd} ${msg}`
  );
}

/** RFC 6587 §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN in bytes. */
export function frameOctetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
