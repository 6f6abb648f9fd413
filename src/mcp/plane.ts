// The MCP plane, built once from validated config: one upstream per server (stdio children under
// supervision, HTTP servers through the SDK client), the pin store and the tool catalog. Upstream
// lifecycle, egress refusals and rug-pull alerts become audit entries. `createGateway` wires it to
// the /mcp surface; `airlock mcp approve` uses it to read a server's tools.
import type { AuditSink } from '../http/stages/record.ts';
import { toJsonObject } from '../http/stages/record.ts';
import { createToolCatalog, type PinAlert, type ToolCatalog } from './catalog.ts';
import { durationToMs, type McpConfig } from './config.ts';
import { type ContentCatalog, type ContentPinAlert, createContentCatalog } from './content-catalog.ts';
import { createHttpUpstream } from './http-upstream.ts';
import { openPinStore, type PinStore, pinStorePath } from './pin-store.ts';
import type { UpstreamEvent } from './sdk-upstream.ts';
import { createStdioUpstream } from './stdio-upstream.ts';
import type { McpUpstream } from './types.ts';

export interface McpPlaneDeps {
  readonly dataDir: string;
  /** `secret:NAME` → value (vault resolver). */
  readonly resolveSecret: (ref: string) => string;
  /** The config file's folder (relative `cwd`). */
  readonly baseDir?: string;
  /** DLP check for plain `vars` values (refuse credentials outside `env`). */
  readonly looksLikeSecret?: (text: string) => boolean;
  readonly audit?: AuditSink;
  readonly log?: (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) => void;
  /** Default: <dataDir>/mcp/pins.json. */
  readonly pins?: PinStore;
}

export interface McpPlane {
  readonly upstreams: ReadonlyMap<string, McpUpstream>;
  readonly catalog: ToolCatalog;
  /** Prompts and resources of the upstreams, pinned like tools. */
  readonly content: ContentCatalog;
  readonly pins: PinStore;
  /** Starts every upstream; one that fails keeps retrying with backoff and does not stop the rest. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Egress entries the gateway needs for its HTTP upstreams (add them to the process policy). */
export function mcpEgressEntries(config: McpConfig): string[] {
  const out: string[] = [];
  for (const s of config.servers) {
    if (s.transport !== 'http') continue;
    const u = new URL(s.url);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    out.push(`${u.hostname}:${port}`);
  }
  return out;
}

export function createMcpPlane(config: McpConfig, deps: McpPlaneDeps): McpPlane {
  const log = deps.log ?? (() => {});
  const record = (event: Parameters<AuditSink['append']>[0]) => {
    deps.audit?.append(event).catch((err) => log('error', { err: String(err) }, 'mcp audit append failed'));
  };
  const onEvent = (e: UpstreamEvent) => {
    log(
      e.type === 'connected' ? 'info' : 'warn',
      { event: `mcp.${e.type}`, ...e },
      `mcp server ${e.server}: ${e.type}`,
    );
    if (e.type !== 'connected')
      record({ type: 'worker.lifecycle', outcome: 'info', detail: toJsonObject({ plane: 'mcp', ...e }) });
  };
  const upstreams = new Map<string, McpUpstream>();
  for (const s of config.servers) {
    const upstream =
      s.transport === 'stdio'
        ? createStdioUpstream(s, {
            resolveSecret: deps.resolveSecret,
            baseDir: deps.baseDir,
            looksLikeSecret: deps.looksLikeSecret,
            onEvent,
            onEgressDenied: (server, event) => {
              log('warn', { event: 'egress_denied', server, ...event }, 'mcp server egress refused');
              record({
                type: 'egress.denied',
                outcome: 'deny',
                code: 'egress_denied',
                detail: toJsonObject({ plane: 'mcp', server, ...event }),
              });
            },
            onStderr: (server, line) =>
              log('info', { event: 'mcp.stderr', server, line }, 'mcp server stderr'),
          })
        : createHttpUpstream(s, { resolveSecret: deps.resolveSecret, onEvent });
    upstreams.set(s.name, upstream);
  }
  const pins = deps.pins ?? openPinStore(pinStorePath(deps.dataDir));
  const catalog = createToolCatalog({
    servers: config.servers.map((s) => ({
      upstream: upstreams.get(s.name)!,
      ...(s.tools ? { allow: s.tools } : {}),
      requireApproval: s.requireApproval,
      namespaced: s.namespaced,
    })),
    pins,
    refreshMs: durationToMs(config.surface.listRefresh),
    onAlert: (a: PinAlert) => {
      log('warn', { event: 'mcp.tool_definition_changed', ...a }, 'mcp tool definition changed: hidden');
      record({
        type: 'inspect.finding',
        outcome: 'deny',
        code: 'tool_not_found',
        detail: toJsonObject({ kind: 'mcp.tool_definition_changed', ...a }),
      });
    },
  });
  const content = createContentCatalog({
    upstreams,
    servers: config.servers.map((s) => ({
      name: s.name,
      requireApproval: s.requireApproval,
      namespaced: s.namespaced,
    })),
    pins,
    onAlert: (a: ContentPinAlert) => {
      log(
        'warn',
        { event: 'mcp.content_definition_changed', ...a },
        'mcp prompt/resource definition changed: hidden',
      );
      record({
        type: 'inspect.finding',
        outcome: 'deny',
        code: 'mcp_content_not_found',
        detail: toJsonObject({ ...a, contentKind: a.kind, kind: 'mcp.content_definition_changed' }),
      });
    },
  });
  return {
    upstreams,
    catalog,
    content,
    pins,
    async start() {
      await Promise.all(
        [...upstreams.values()].map((u) =>
          u
            .start()
            .catch((err) => log('error', { server: u.name, err: String(err) }, 'mcp server failed to start')),
        ),
      );
    },
    async close() {
      await Promise.all([...upstreams.values()].map((u) => u.close()));
    },
  };
}
