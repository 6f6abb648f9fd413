// OCSF 1.5.0 (schema.ocsf.io) events from audit entries: a derived, normalised copy for SIEMs.
//   request.authorized / request.completed → API Activity (6003, category 6 Application Activity)
//   auth.* and requests denied at authenticate → Authentication (3002, category 3 IAM), Logon
//   inspect.finding → Data Security Finding (2006, category 2 Findings), Create
//   anything else → Base Event (0), activity Other
// type_uid = class_uid * 100 + activity_id. Only facts in the entry are copied; what has no OCSF
// attribute goes to `unmapped`. Entries never hold prompts or secrets, so neither does this.
import type { AuditEntry, AuditOutcome, JsonObject, JsonValue } from '../types.ts';

export const OCSF_VERSION = '1.5.0';

type Ocsf = Record<string, JsonValue>;

const SEVERITY: Readonly<Record<AuditOutcome, [number, string]>> = {
  info: [1, 'Informational'],
  allow: [1, 'Informational'],
  deny: [3, 'Medium'],
  error: [4, 'High'],
};
const STATUS: Readonly<Record<AuditOutcome, [number, string]>> = {
  allow: [1, 'Success'],
  deny: [2, 'Failure'],
  error: [2, 'Failure'],
  info: [0, 'Unknown'],
};

/** The OCSF class an entry maps to (exported for tests and docs). */
export function ocsfClassOf(entry: AuditEntry): 6003 | 3002 | 2006 | 0 {
  if (entry.type === 'auth.success' || entry.type === 'auth.failure') return 3002;
  if (entry.type === 'inspect.finding') return 2006;
  if (entry.type === 'request.authorized' || entry.type === 'request.completed')
    return deniedAtAuthenticate(entry.detail) ? 3002 : 6003;
  return 0;
}

function deniedAtAuthenticate(detail: JsonObject): boolean {
  const trail = detail['trail'];
  return (
    Array.isArray(trail) &&
    trail.some(
      (d) =>
        d !== null &&
        typeof d === 'object' &&
        !Array.isArray(d) &&
        d['stage'] === 'authenticate' &&
        d['outcome'] === 'deny',
    )
  );
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** CRUD verb of an operation for API Activity's activity_id (0 Unknown when it cannot be told). */
function apiActivity(operation: string | undefined): [number, string] {
  if (operation === undefined) return [0, 'Unknown'];
  if (operation === 'models' || /\.(list|get|read|show)$/.test(operation)) return [2, 'Read'];
  if (/\.(revoke|delete|remove)$/.test(operation)) return [4, 'Delete'];
  if (/\.(rotate|update|set)$/.test(operation)) return [3, 'Update'];
  if (/^(chat|completions|embeddings)$/.test(operation) || /\.create$/.test(operation)) return [1, 'Create'];
  return [99, 'Other'];
}

function actor(entry: AuditEntry): Ocsf | undefined {
  const p = entry.principal;
  if (!p) return undefined;
  return { user: user(entry) };
}

function user(entry: AuditEntry): Ocsf {
  const p = entry.principal;
  if (!p) return { type_id: 0, type: 'Unknown' };
  return {
    uid: p.id,
    ...(p.credentialId !== undefined ? { credential_uid: p.credentialId } : {}),
    ...(p.kind === 'admin' ? { type_id: 2, type: 'Admin' } : { type_id: 99, type: p.kind }),
  };
}

export function toOcsf(entry: AuditEntry, productVersion: string): Ocsf {
  const classUid = ocsfClassOf(entry);
  const [severityId, severity] = SEVERITY[entry.outcome];
  const time = Date.parse(entry.time);
  const base: Ocsf = {
    time,
    severity_id: severityId,
    severity,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'airlock', vendor_name: 'airlock', version: productVersion },
      uid: String(entry.index),
      log_name: 'airlock-audit',
      event_code: entry.type,
      original_time: entry.time,
      ...(entry.requestId !== undefined ? { correlation_uid: entry.requestId } : {}),
    },
    unmapped: {
      type: entry.type,
      outcome: entry.outcome,
      ...(entry.traceId !== undefined ? { traceId: entry.traceId } : {}),
      ...(entry.principal ? { principalKind: entry.principal.kind } : {}),
      detail: entry.detail,
    },
  };
  const [statusId, status] = STATUS[entry.outcome];
  const eventStatus: Ocsf = {
    status_id: statusId,
    status,
    ...(entry.code !== undefined ? { status_code: entry.code } : {}),
  };

  if (classUid === 6003) {
    const operation = str(entry.detail['operation']);
    const [activityId, activityName] = apiActivity(operation);
    const a = actor(entry);
    return {
      category_uid: 6,
      category_name: 'Application Activity',
      class_uid: 6003,
      class_name: 'API Activity',
      activity_id: activityId,
      activity_name: activityName,
      type_uid: 6003 * 100 + activityId,
      type_name: `API Activity: ${activityName}`,
      ...base,
      ...eventStatus,
      ...(a ? { actor: a } : {}),
      api: {
        ...(operation !== undefined ? { operation } : {}),
        ...(entry.requestId !== undefined ? { request: { uid: entry.requestId } } : {}),
        ...(str(entry.detail['surface']) !== undefined
          ? { service: { name: str(entry.detail['surface'])! } }
          : {}),
        ...(entry.code !== undefined ? { response: { error: entry.code } } : {}),
      },
    };
  }
  if (classUid === 3002) {
    return {
      category_uid: 3,
      category_name: 'Identity & Access Management',
      class_uid: 3002,
      class_name: 'Authentication',
      activity_id: 1,
      activity_name: 'Logon',
      type_uid: 300201,
      type_name: 'Authentication: Logon',
      ...base,
      ...eventStatus,
      user: user(entry),
      service: { name: str(entry.detail['surface']) ?? 'airlock' },
      ...(entry.code !== undefined ? { status_detail: entry.code } : {}),
    };
  }
  if (classUid === 2006) {
    const findingTypes = findingTypesOf(entry.detail);
    const a = actor(entry);
    return {
      category_uid: 2,
      category_name: 'Findings',
      class_uid: 2006,
      class_name: 'Data Security Finding',
      activity_id: 1,
      activity_name: 'Create',
      type_uid: 200601,
      type_name: 'Data Security Finding: Create',
      ...base,
      status_id: 1,
      status: 'New',
      is_alert: entry.outcome === 'deny' || entry.outcome === 'error',
      finding_info: {
        uid: `airlock-audit-${entry.index}`,
        title:
          findingTypes.length > 0
            ? `Sensitive data detected: ${findingTypes.join(', ')}`
            : 'Sensitive data detected',
        ...(findingTypes.length > 0 ? { types: findingTypes } : {}),
        created_time: time,
      },
      data_security: { detection_system_id: 2, detection_system: 'DLP Gateway' },
      ...(a ? { actor: a } : {}),
    };
  }
  return {
    category_uid: 0,
    category_name: 'Uncategorized',
    class_uid: 0,
    class_name: 'Base Event',
    activity_id: 99,
    activity_name: entry.type,
    type_uid: 99,
    type_name: `Base Event: ${entry.type}`,
    ...base,
    ...eventStatus,
  };
}

/** DLP finding type names from `detail.findings` ([{type}] or [string]); other shapes give none. */
function findingTypesOf(detail: JsonObject): string[] {
  const findings = detail['findings'];
  if (!Array.isArray(findings)) return [];
  const out = new Set<string>();
  for (const f of findings) {
    if (typeof f === 'string') out.add(f);
    else if (f !== null && typeof f === 'object' && !Array.isArray(f) && typeof f['type'] === 'string')
      out.add(f['type']);
  }
  return [...out];
}
