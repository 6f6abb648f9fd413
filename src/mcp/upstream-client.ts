// The MCP client the gateway holds towards one upstream, behind one small interface so supervision
// (sdk-upstream.ts) does not care which SDK speaks the wire:
//   - legacy: the v1 SDK (`@modelcontextprotocol/sdk`), initialize handshake, up to 2025-11-25;
//     kept for stdio children that exit on the `server/discover` probe (stdio-upstream.ts)
//   - negotiating: the v2 SDK (`@modelcontextprotocol/client`) with automatic version negotiation:
//     it probes `server/discover` and speaks 2026-07-28 to a server that offers it, and falls back
//     to the initialize handshake (2025-11-25 …) with one that does not. Used for HTTP upstreams and
//     stdio children.
// Both validate what the server returns against the SDK's result schemas.
import {
  Client as NegotiatingClient,
  StreamableHTTPClientTransport as NegotiatingHttpTransport,
  type Transport as NegotiatingTransport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolResultSchema,
  GetPromptResultSchema,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ReadResourceResultSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { ContentMethod, ToolProgress, ToolResult, UpstreamTool } from './types.ts';

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeout: number;
  /** tools/call: the upstream's progress notifications (the SDK sends its own progress token). */
  readonly onprogress?: (p: ToolProgress) => void;
}

export interface UpstreamClient {
  /** Set before connect: called once when the connection closes, whoever closed it. */
  onclose?: () => void;
  connect(): Promise<void>;
  onToolsChanged(handler: () => void): void;
  listTools(
    cursor: string | undefined,
    o: CallOptions,
  ): Promise<{ tools: UpstreamTool[]; nextCursor?: string }>;
  callTool(name: string, args: Record<string, unknown>, o: CallOptions): Promise<ToolResult>;
  content(
    method: ContentMethod,
    params: Record<string, unknown>,
    o: CallOptions,
  ): Promise<Record<string, unknown>>;
  capabilities(): { readonly prompts?: unknown; readonly resources?: unknown } | undefined;
  /** The revision agreed with the server (null before the handshake). */
  protocolVersion(): string | null;
  close(): Promise<void>;
}

const CLIENT_INFO = { name: 'airlock', version: '0.1.0' };

/** Result schemas of the prompts/resources methods (the SDK validates what the server sends). */
const CONTENT_RESULTS = {
  'prompts/list': ListPromptsResultSchema,
  'prompts/get': GetPromptResultSchema,
  'resources/list': ListResourcesResultSchema,
  'resources/templates/list': ListResourceTemplatesResultSchema,
  'resources/read': ReadResourceResultSchema,
} as const satisfies Record<ContentMethod, unknown>;

/** The v1 SDK client over a transport made for it (a supervised stdio child, usually). */
export function createLegacyClient(transport: Transport): UpstreamClient {
  const c = new Client(CLIENT_INFO, { capabilities: {} });
  // The SDK hands the agreed revision to transports that take it (HTTP); stdio's does not.
  let agreed: string | null = null;
  const t = transport as Transport & { protocolVersion?: string };
  t.setProtocolVersion ??= (v: string) => {
    agreed = v;
  };
  const self: UpstreamClient = {
    async connect() {
      c.onclose = () => self.onclose?.();
      await c.connect(transport);
    },
    onToolsChanged(handler) {
      c.setNotificationHandler(ToolListChangedNotificationSchema, async () => handler());
    },
    async listTools(cursor, o) {
      const res = await c.listTools(cursor ? { cursor } : {}, o);
      return {
        tools: res.tools as UpstreamTool[],
        ...(res.nextCursor ? { nextCursor: res.nextCursor } : {}),
      };
    },
    async callTool(name, args, o) {
      return (await c.request(
        { method: 'tools/call', params: { name, arguments: args } },
        CallToolResultSchema,
        o,
      )) as ToolResult;
    },
    async content(method, params, o) {
      return (await c.request({ method, params }, CONTENT_RESULTS[method], o)) as Record<string, unknown>;
    },
    capabilities: () => c.getServerCapabilities(),
    protocolVersion: () => t.protocolVersion ?? agreed,
    close: () => c.close(),
  };
  return self;
}

/** The v2 SDK client over Streamable HTTP, negotiating 2026-07-28 or falling back to 2025. */
export function createNegotiatingHttpClient(url: URL, requestInit: RequestInit): UpstreamClient {
  return createNegotiatingClient(new NegotiatingHttpTransport(url, { requestInit }));
}

/** The v2 SDK client over any v2 transport (Streamable HTTP, or a supervised stdio child probed in
 *  place: stdio-upstream.ts), negotiating 2026-07-28 or falling back to the 2025 handshake. */
export function createNegotiatingClient(transport: NegotiatingTransport): UpstreamClient {
  const c = new NegotiatingClient(CLIENT_INFO, { versionNegotiation: { mode: 'auto' } });
  const self: UpstreamClient = {
    async connect() {
      c.onclose = () => self.onclose?.();
      await c.connect(transport);
    },
    onToolsChanged(handler) {
      c.setNotificationHandler('notifications/tools/list_changed', async () => handler());
    },
    async listTools(cursor, o) {
      const res = await c.listTools(cursor ? { cursor } : {}, o);
      return {
        tools: res.tools as unknown as UpstreamTool[],
        ...(res.nextCursor ? { nextCursor: res.nextCursor } : {}),
      };
    },
    async callTool(name, args, o) {
      return (await c.callTool({ name, arguments: args }, o)) as unknown as ToolResult;
    },
    async content(method, params, o) {
      const p = params as never;
      const result =
        method === 'prompts/list'
          ? await c.listPrompts(p, o)
          : method === 'prompts/get'
            ? await c.getPrompt(p, o)
            : method === 'resources/list'
              ? await c.listResources(p, o)
              : method === 'resources/templates/list'
                ? await c.listResourceTemplates(p, o)
                : await c.readResource(p, o);
      return result as unknown as Record<string, unknown>;
    },
    capabilities: () => c.getServerCapabilities(),
    protocolVersion: () => c.getNegotiatedProtocolVersion() ?? null,
    close: () => c.close(),
  };
  return self;
}

/** The v2 client's era negotiation failed — for a stdio child, usually a server that exits on a
 *  request before `initialize` (the in-place `server/discover` probe). */
export function isNegotiationFailure(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERA_NEGOTIATION_FAILED';
}

/** SDK failure kinds, across both SDKs (v1 McpError codes, v2 SdkError codes). */
export function failureKind(err: unknown): 'timeout' | 'closed' | 'rpc' | 'other' {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === -32001 || code === 'REQUEST_TIMEOUT') return 'timeout';
  if (code === -32000 || code === 'CONNECTION_CLOSED') return 'closed';
  if (typeof code === 'number') return 'rpc';
  return 'other';
}
