// MCP protocol revisions and the one place that translates between them. /mcp speaks the 2025 era
// (initialize handshake, Mcp-Session-Id: 2025-03-26, 2025-06-18, 2025-11-25) and the 2026 era
// (2026-07-28: no handshake and no session; every request carries its revision, client info and
// capabilities in `params._meta`, `server/discover` replaces initialize, and the Streamable HTTP
// binding requires MCP-Protocol-Version, Mcp-Method and Mcp-Name headers that mirror the body,
// SEP-2243). Upstreams are reached through the SDK client in whatever revision each negotiates;
// their results are rewritten here into the caller's revision, so no other module branches on one.
//
// Differences handled (each has a unit test in revisions.test.ts):
//   1. era: a `_meta` protocolVersion claim makes a request 2026-era; a 2026 MCP-Protocol-Version
//      header without the claim is invalid params (no silent fallback to the 2025 era)
//   2. headers: 2026-era requests MUST carry MCP-Protocol-Version (equal to the claim) and
//      Mcp-Method, and Mcp-Name for tools/call, prompts/get (name), resources/read (uri),
//      tasks/* (taskId), `=?base64?…?=` encoded when not plain ASCII; 2025-era requests may carry
//      them, and when they do they must agree too; Mcp-Param-{Name} headers for a tool's
//      `x-mcp-header` arguments are checked once the tool is resolved (src/mcp/param-headers.ts)
//   3. results: 2026 results carry `resultType: "complete"` and the server's identity in
//      `_meta["io.modelcontextprotocol/serverInfo"]`; list results and resources/read carry
//      `ttlMs: 0` and `cacheScope: "private"` (each caller sees what its policy allows, P4, and
//      an approval or a pin can change that at any moment). 2025 results carry
//      none of these (an upstream's are removed: its identity is not the client's business)
//   4. tools: `execution` (2025-11-25 task support) is removed for every revision, because the
//      gateway forwards no task augmentation; `icons` (2025-11-25) is removed below 2025-11-25;
//      `title` and `outputSchema` (2025-06-18) below 2025-06-18
//   5. tool results: `structuredContent` (2025-06-18) is removed below 2025-06-18 (its text twin
//      stays in `content`)
//   6. initialize, ping, logging/setLevel and resources/(un)subscribe do not exist in the 2026 era
//      (HTTP 404 + -32601 there); logging/setLevel is accepted in the 2025 era (the gateway relays
//      no server log notifications, so there is nothing to filter)
export const MODERN_PROTOCOL_VERSIONS = ['2026-07-28'] as const;
/** 2025-era revisions the initialize handshake negotiates, newest first. */
export const LEGACY_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  ...MODERN_PROTOCOL_VERSIONS,
  ...LEGACY_PROTOCOL_VERSIONS,
];
export const FIRST_MODERN_VERSION = '2026-07-28';

export const META_KEYS = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
} as const;

/** Revision identifiers are dates: the 2026 era is everything from 2026-07-28 on. */
export const isModernVersion = (v: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= FIRST_MODERN_VERSION;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export type Era =
  | { readonly kind: 'modern'; readonly version: string }
  | { readonly kind: 'legacy' }
  /** Not servable: `code` is a catalogue code, `detail` a safe public sentence. */
  | {
      readonly kind: 'refused';
      readonly code: 'unsupported_protocol_version' | 'mcp_invalid_params';
      readonly detail: string;
      readonly requested?: string;
    };

const unsupported = (requested: string): Era => ({
  kind: 'refused',
  code: 'unsupported_protocol_version',
  detail: `Supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}.`,
  requested: requested.slice(0, 32),
});

/** Which era one message belongs to (difference 1). `headerVersion` is MCP-Protocol-Version. A
 *  claim the header contradicts stays 2026-era, so the header check refuses it (-32020, recorded)
 *  before the revision itself is judged. */
export function eraOf(params: Record<string, unknown>, headerVersion: string | undefined): Era {
  const meta = params._meta;
  const claim = isObject(meta) ? meta[META_KEYS.protocolVersion] : undefined;
  if (claim !== undefined) {
    if (typeof claim !== 'string')
      return {
        kind: 'refused',
        code: 'mcp_invalid_params',
        detail: `${META_KEYS.protocolVersion} is a string.`,
      };
    if (headerVersion !== claim) return { kind: 'modern', version: claim.slice(0, 32) };
    if (!(MODERN_PROTOCOL_VERSIONS as readonly string[]).includes(claim)) return unsupported(claim);
    if (!isObject(meta) || !isObject(meta[META_KEYS.clientCapabilities]))
      return {
        kind: 'refused',
        code: 'mcp_invalid_params',
        detail: `params._meta must carry ${META_KEYS.clientCapabilities} (revision ${claim}).`,
      };
    return { kind: 'modern', version: claim };
  }
  if (headerVersion !== undefined && isModernVersion(headerVersion))
    return (MODERN_PROTOCOL_VERSIONS as readonly string[]).includes(headerVersion)
      ? {
          kind: 'refused',
          code: 'mcp_invalid_params',
          detail: `MCP-Protocol-Version ${headerVersion} requires the params._meta envelope (${META_KEYS.protocolVersion}, ${META_KEYS.clientCapabilities}).`,
        }
      : unsupported(headerVersion);
  return { kind: 'legacy' };
}

/** Which body field Mcp-Name mirrors, per method (2026-07-28 Streamable HTTP binding). */
export const MCP_NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

const B64_PREFIX = '=?base64?';
const B64_SUFFIX = '?=';
const B64_CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** An Mcp-Name / Mcp-Param value: plain, or `=?base64?…?=` (UTF-8). undefined when malformed. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith(B64_PREFIX) && value.endsWith(B64_SUFFIX) && value.length >= 11)) return value;
  const b64 = value.slice(B64_PREFIX.length, value.length - B64_SUFFIX.length);
  if (!B64_CANONICAL.test(b64)) return undefined;
  const bytes = Buffer.from(b64, 'base64');
  const text = new TextDecoder('utf-8', { fatal: true });
  try {
    return text.decode(bytes);
  } catch {
    return undefined;
  }
}

export interface RoutingHeaders {
  readonly version: string | undefined;
  readonly method: string | undefined;
  readonly name: string | undefined;
}

export interface HeaderMessage {
  readonly kind: 'request' | 'notification' | 'response';
  readonly method?: string;
  readonly params?: Record<string, unknown>;
}

/** Difference 2: undefined when the routing headers agree with the body, else a safe reason. A
 *  proxy or WAF that routes on headers must see what the gateway executes. */
export function headerMismatch(h: RoutingHeaders, msg: HeaderMessage, era: Era): string | undefined {
  if (era.kind === 'modern' && msg.kind === 'request') {
    if (h.version === undefined) return 'the MCP-Protocol-Version header is required';
    if (h.method === undefined) return 'the Mcp-Method header is required';
  }
  if (era.kind === 'modern' && h.version !== undefined && h.version !== era.version)
    return 'MCP-Protocol-Version differs from params._meta';
  if (h.method === undefined && h.name === undefined) return undefined;
  if (msg.kind === 'response' || msg.method === undefined) return 'a response carries no Mcp-Method';
  if (h.method !== undefined && h.method !== msg.method) return 'Mcp-Method differs from the method';
  const field = MCP_NAME_SOURCE[msg.method];
  const target = field ? msg.params?.[field] : undefined;
  if (h.name === undefined) {
    if (era.kind === 'modern' && msg.kind === 'request' && typeof target === 'string')
      return 'the Mcp-Name header is required';
    return undefined;
  }
  const decoded = decodeHeaderValue(h.name);
  if (decoded === undefined) return 'Mcp-Name is not valid base64';
  // Legacy clients sent Mcp-Name for any named target; the 2025 check compared name or uri.
  const legacyTarget = msg.params?.name ?? msg.params?.uri;
  const expected = field ? target : era.kind === 'legacy' ? legacyTarget : undefined;
  if (typeof expected !== 'string' || expected !== decoded) return 'Mcp-Name differs from the target';
  return undefined;
}

/** 2026-07-28 CacheableResult methods: the lists and resources/read. */
const CACHEABLE = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
]);

export interface ServerInfo {
  readonly name: string;
  readonly version: string;
}

const olderThan = (version: string, than: string) => version < than;

/** Difference 4: one tool definition in the caller's revision. */
export function toolForRevision(tool: Record<string, unknown>, version: string): Record<string, unknown> {
  const { execution: _tasks, ...out } = tool;
  if (olderThan(version, '2025-11-25')) delete out.icons;
  if (olderThan(version, '2025-06-18')) {
    delete out.title;
    delete out.outputSchema;
  }
  return out;
}

/** Differences 3-5: a result (from an upstream or the gateway) in the caller's revision. */
export function resultForRevision(
  method: string,
  result: Record<string, unknown>,
  version: string,
  serverInfo: ServerInfo,
): Record<string, unknown> {
  const { resultType: _r, ttlMs: _t, cacheScope: _c, _meta, ...rest } = result;
  let out: Record<string, unknown> = rest;
  if (method === 'tools/list' && Array.isArray(rest.tools))
    out = {
      ...rest,
      tools: rest.tools.map((t) => (isObject(t) ? toolForRevision(t, version) : t)),
    };
  if (method === 'tools/call' && olderThan(version, '2025-06-18')) delete out.structuredContent;
  // An upstream's own _meta keys pass through, except its identity.
  let meta: Record<string, unknown> | undefined;
  if (isObject(_meta)) {
    const { [META_KEYS.serverInfo]: _s, ...keep } = _meta;
    if (Object.keys(keep).length > 0) meta = keep;
  }
  if (!isModernVersion(version)) return meta ? { ...out, _meta: meta } : out;
  return {
    ...out,
    resultType: 'complete',
    ...(CACHEABLE.has(method) ? { ttlMs: 0, cacheScope: 'private' } : {}),
    _meta: { ...meta, [META_KEYS.serverInfo]: serverInfo },
  };
}

/** The 2026-era `server/discover` result. */
export function discoverResult(
  capabilities: Record<string, unknown>,
  instructions?: string,
): Record<string, unknown> {
  return {
    supportedVersions: [...SUPPORTED_PROTOCOL_VERSIONS],
    capabilities,
    ...(instructions ? { instructions } : {}),
  };
}

/** The revision an initialize (2025 era) settles on: the one asked for when spoken, else the newest. */
export function negotiateLegacy(requested: unknown): string {
  return typeof requested === 'string' && (LEGACY_PROTOCOL_VERSIONS as readonly string[]).includes(requested)
    ? requested
    : LEGACY_PROTOCOL_VERSIONS[0];
}

/** Methods that do not exist in the 2026 era (difference 6; answered 404 + -32601 there). */
export const LEGACY_ONLY_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
]);
