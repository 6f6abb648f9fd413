// Contracts of the MCP plane. An upstream is one MCP server (a supervised stdio child or a remote
// Streamable HTTP server) seen through the SDK client; the catalog aggregates their tools under
// `server__tool` and applies pins; the /mcp surface runs the pipeline around each call.
import type { FindingsSummary } from '../dlp/summary.ts';
import type { RequestContext } from '../http/context.ts';

/** A tool as an upstream describes it (MCP `Tool`; extra fields are kept for the client). */
export interface UpstreamTool {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** One `notifications/progress` from a tool call (the token is the gateway's own upstream). */
export interface ToolProgress {
  readonly progress: number;
  readonly total?: number;
  readonly message?: string;
}

/** An MCP `CallToolResult` (content, structuredContent, isError …), as the upstream returned it. */
export type ToolResult = Record<string, unknown>;

/** The MCP methods for prompts and resources airlock forwards (aggregated under the namespace). */
export type ContentMethod =
  | 'prompts/list'
  | 'prompts/get'
  | 'resources/list'
  | 'resources/templates/list'
  | 'resources/read';

export type UpstreamState = 'starting' | 'ready' | 'restarting' | 'stopped';

export interface McpUpstream {
  readonly name: string;
  readonly transport: 'stdio' | 'http';
  state(): UpstreamState;
  /** Connects (starts the child); resolves when the MCP handshake is done. */
  start(): Promise<void>;
  /** Every tool the server lists (all pages). Rejects with AirlockError('upstream_unavailable'). */
  listTools(signal?: AbortSignal): Promise<UpstreamTool[]>;
  /** Calls `tool` (the server's own name). Rejects with AirlockError on transport failure/timeout;
   *  a tool's own error is a result with isError: true. */
  callTool(
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    onProgress?: (p: ToolProgress) => void,
  ): Promise<ToolResult>;
  /** Whether the server declared prompts / resources in its handshake (false while it is down). */
  offers?(): { readonly prompts: boolean; readonly resources: boolean };
  /** A prompts/* or resources/* request in the server's own names and URIs (one page per call).
   *  Rejects like callTool. */
  content?(
    method: ContentMethod,
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
  /** Called when the server says its tool list changed (and after a restart). */
  onToolsChanged(listener: () => void): void;
  /** Stops the child / closes the session; no restart afterwards. */
  close(): Promise<void>;
}

/** What the caller asks to do with a tool, as the policy decision point sees it. */
export interface ToolAuthorizationRequest {
  readonly action: 'tools/call' | 'tools/list';
  /** Namespaced name, `server__tool`. */
  readonly tool: string;
  readonly server: string;
  /** tools/call only: the arguments (policy context). */
  readonly arguments?: Readonly<Record<string, unknown>>;
  /** tools/call only: the DLP findings in the arguments (policy context `findings`). */
  readonly findings?: FindingsSummary;
}

export interface ToolDecision {
  readonly kind: 'allow' | 'deny' | 'needs-approval' | 'needs-step-up';
  /** Ids of the policies that decided (audit). */
  readonly policies: readonly string[];
  /** From the permitting policies' annotations: approver groups (`@approval`), `@ttl`. */
  readonly obligations?: {
    readonly approval: readonly string[];
    readonly stepUp?: readonly string[];
    readonly ttlMs?: number;
  };
}

/** The narrow hook the Cedar engine plugs into: one decision per (caller, tool, arguments).
 *  MUST be default-deny; MUST NOT throw on a deny (throwing means the engine failed: fail closed). */
export type AuthorizeTool = (
  ctx: RequestContext,
  request: ToolAuthorizationRequest,
) => ToolDecision | Promise<ToolDecision>;

/** Pin state of one tool's current definition. */
export type PinStatus = 'approved' | 'unapproved' | 'changed' | 'not-required';

export interface CatalogTool {
  /** `server__tool` as the client sees it. */
  readonly name: string;
  readonly server: string;
  /** The server's own tool name. */
  readonly upstreamName: string;
  /** The definition sent to clients (name replaced by the namespaced one). */
  readonly definition: UpstreamTool;
  /** SHA-256 of the canonical definition (name, description, inputSchema) as the server listed it. */
  readonly hash: string;
  readonly pin: PinStatus;
}
