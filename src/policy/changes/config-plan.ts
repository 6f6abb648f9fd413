// What an approved config change does to a running node: which fields take effect at once and
// which wait for a restart. Decided per top-level section, from what the gateway can swap without
// dropping a request or a guarantee:
//
//   live      quotas                       the quota stage swaps its rules in place (in-flight
//                                          concurrency counts survive; token buckets restart full)
//             dlp                          rules, dictionaries, actions and overrides compile into a
//                                          new engine that replaces the old one whole for new
//                                          requests (src/dlp/live-dlp.ts); in-flight requests finish
//                                          with the engine they started with; a DLP config that does
//                                          not compile is refused when proposed
//             models, upstreams            a new router generation (adapters, health checks,
//                                          breakers) serves new requests; in-flight ones finish on
//                                          the old one (src/inference/live-router.ts); custody
//                                          admission applies as at start; an upstream address the
//                                          running egress policy does not allow is refused when
//                                          proposed (egress_not_allowed) — except embedded upstreams
//                                          (worker processes), whose changes wait for a restart
//   refused   policy                       policies change through a `policy` proposal, which
//                                          hot-swaps the decision point; a config proposal must not
//                                          become a second, competing source of policy text
//   restart   everything else              listeners, store, dataDir, audit and its keys, secrets,
//                                          identity, egress, embedded upstreams, MCP servers, APIs, custody, tracing, limits
//
// Paths name the changed leaves (`listeners.client.port`, `quotas.perModel.gpt-4o.requestsPerMinute`,
// `models[1]` when a list changed length). Compare parsed configs (defaults applied), so a default
// written out explicitly is no change.

/** Top-level sections an approved config change applies without a restart. */
export const LIVE_CONFIG_SECTIONS: ReadonlySet<string> = new Set(['quotas', 'dlp', 'models', 'upstreams']);
/** Top-level sections a config change may not touch (they have their own change kind). */
export const REFUSED_CONFIG_SECTIONS: ReadonlySet<string> = new Set(['policy']);

export interface ConfigPlan {
  /** Changed field paths that take effect when the change is applied. */
  readonly live: readonly string[];
  /** Changed field paths that take effect only after a restart. */
  readonly restart: readonly string[];
  /** Changed field paths a config change may not carry. */
  readonly refused: readonly string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const key = (base: string, k: string) =>
  /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? (base ? `${base}.${k}` : k) : `${base}[${JSON.stringify(k)}]`;

/** Paths of the leaves that differ between two JSON-like values, sorted. */
export function changedPaths(before: unknown, after: unknown, base = ''): string[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    if (before.length !== after.length) return [base];
    return before.flatMap((b, i) => changedPaths(b, after[i], `${base}[${i}]`));
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedPaths(before[k], after[k], key(base, k)));
  }
  return Object.is(before, after) || JSON.stringify(before) === JSON.stringify(after) ? [] : [base];
}

function section(path: string): string {
  const m = /^[^.[]+/.exec(path);
  return m ? m[0] : path;
}

/** Embedded upstreams by name (their worker processes start with the node). */
function embeddedUpstreams(config: unknown): string {
  const list = isRecord(config) && Array.isArray(config.upstreams) ? config.upstreams : [];
  const embedded = list.filter((u) => isRecord(u) && u.kind === 'embedded') as Record<string, unknown>[];
  return JSON.stringify(embedded.sort((a, b) => String(a.name).localeCompare(String(b.name))));
}

export function planConfigChange(before: unknown, after: unknown): ConfigPlan {
  const live: string[] = [];
  const restart: string[] = [];
  const refused: string[] = [];
  const embeddedChanged = embeddedUpstreams(before) !== embeddedUpstreams(after);
  for (const p of changedPaths(before, after)) {
    const s = section(p);
    if (REFUSED_CONFIG_SECTIONS.has(s)) refused.push(p);
    // A worker process starts with the node; the routes that may name it wait for it too.
    else if ((s === 'upstreams' || s === 'models') && embeddedChanged) restart.push(p);
    else if (LIVE_CONFIG_SECTIONS.has(s)) live.push(p);
    else restart.push(p);
  }
  return { live, restart, refused };
}
