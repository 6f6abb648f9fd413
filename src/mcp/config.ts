// The `mcp:` config section: the /mcp surface and the upstream MCP servers airlock fronts. Strict
// (unknown fields are errors); every field is described so docs/config.md and the JSON Schema are
// generated from here. Credentials only ever appear as `secret:NAME` references (P5).
// No import from src/config/schema.ts: that file embeds this section, and a cycle would leave
// these values uninitialised at load time.
import { z } from 'zod';
import { durationField as duration, secretRefField as secretRef } from '../config/fields.ts';

/** Server names become the tool namespace (`server__tool`): no `__` inside, so the split is unique. */
// No `__` and no trailing `_`: `ops_` + `__` + `deploy` would read as server `ops`, tool `_deploy`,
// so server `ops` could shadow (and be called for) server `ops_`'s tools and prompts.
export const MCP_SERVER_NAME = /^[a-z0-9](?:[a-z0-9-]|_(?!_|$))*$/;
export const TOOL_SEPARATOR = '__';

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
  .refine((n) => !/^(NODE_OPTIONS|AIRLOCK_EGRESS_POLICY|LD_PRELOAD|LD_LIBRARY_PATH|DYLD_.*)$/.test(n), {
    message: 'reserved: airlock sets NODE_OPTIONS and the egress policy itself; loader variables are refused',
  });

const limitsSchema = z
  .strictObject({
    maxOldSpaceMb: z
      .number()
      .int()
      .min(16)
      .max(65536)
      .default(256)
      .describe('V8 old-space limit for Node servers (--max-old-space-size, via NODE_OPTIONS).'),
    callTimeout: duration.default('30s').describe('Longest a tools/call may take before it is cancelled.'),
    maxConcurrentCalls: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(16)
      .describe('Calls in flight to this server at once; beyond this the caller gets a JSON-RPC error.'),
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(4 * 1024 * 1024)
      .describe('Largest message read from the server (stdio line buffer; results are refused above it).'),
  })
  .prefault({})
  .describe('Resource limits for one MCP server.');

const restartSchema = z
  .strictObject({
    initialDelay: duration.default('250ms').describe('First restart delay after a crash.'),
    maxDelay: duration.default('30s').describe('Backoff cap (the delay doubles per consecutive crash).'),
  })
  .prefault({})
  .describe('Restart with exponential backoff when a stdio server exits.');

const common = {
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(
      MCP_SERVER_NAME,
      'lower-case letters, digits, - and single _ not at the end (the namespace separator is __)',
    )
    .describe('Server name; its tools are exposed as <name>__<tool> (unless `namespaced` is false).'),
  namespaced: z
    .boolean()
    .default(true)
    .describe(
      'false: tools keep their own names (for clients written against this one server); at most one server may do this, and its tools whose names look namespaced (<server>__…) are hidden.',
    ),
  tools: z
    .array(z.string().min(1).max(128))
    .max(1024)
    .optional()
    .describe('Allowlist of upstream tool names (without the namespace); absent means every approved tool.'),
  limits: limitsSchema,
  requireApproval: z
    .boolean()
    .default(true)
    .describe(
      'Tools, prompts, resources and resource templates are hidden until an admin approves the server (`airlock mcp approve NAME`) and while their definition differs from the approved hash.',
    ),
};

export const stdioServerSchema = z
  .strictObject({
    ...common,
    transport: z.literal('stdio'),
    command: z
      .string()
      .min(1)
      .describe('Executable to start; `node` means the gateway’s own Node.js (process.execPath).'),
    args: z.array(z.string()).default([]).describe('Arguments (no shell is involved).'),
    cwd: z.string().optional().describe('Working directory (relative to the config file).'),
    env: z
      .record(envName, secretRef)
      .default({})
      .describe(
        'Secrets injected into this server only, as NAME: secret:REF. The child starts with a scrubbed environment: PATH, a private HOME, these, and the egress guard.',
      ),
    vars: z
      .record(envName, z.string().max(4096))
      .default({})
      .describe(
        'Non-secret settings passed as environment variables (paths, modes). A value that looks like a credential is refused at start-up: use env with secret: for those.',
      ),
    egress: z
      .array(z.string())
      .default([])
      .describe(
        'host:port or CIDR[:port] entries this server may reach; default none (stdio servers talk over pipes). Enforced in-process for Node servers.',
      ),
    restart: restartSchema,
  })
  .describe('A server started and supervised by airlock, speaking MCP over stdin/stdout.');

export const httpServerSchema = z
  .strictObject({
    ...common,
    transport: z.literal('http'),
    url: z.url().describe('Streamable HTTP endpoint of the server; it must be on the egress allowlist.'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/), secretRef)
      .default({})
      .describe(
        'Headers injected at the last hop, as Header-Name: secret:REF (e.g. Authorization). The client’s own token is never forwarded.',
      ),
  })
  .describe('A remote server reached over Streamable HTTP with the MCP SDK client.');

export const mcpServerSchema = z.discriminatedUnion('transport', [stdioServerSchema, httpServerSchema]);

export const mcpSurfaceSchema = z
  .strictObject({
    allowedOrigins: z
      .array(z.string().regex(/^https?:\/\/[^/]+$/, 'scheme://host[:port], no path'))
      .default([])
      .describe(
        'Origins browsers may call /mcp from. A request with any other Origin header is refused (403, DNS rebinding). Requests without Origin (non-browser clients) are allowed.',
      ),
    allowedHosts: z
      .array(z.string().min(1))
      .default(['127.0.0.1', 'localhost', '[::1]'])
      .describe(
        'Host header values (host or host:port) accepted on /mcp; anything else is refused (DNS rebinding).',
      ),
    resource: z
      .url()
      .optional()
      .describe(
        'This resource server’s canonical URI (RFC 8707), served in the RFC 9728 metadata; default: derived from the request.',
      ),
    authorizationServers: z
      .array(z.url())
      .default([])
      .describe('Issuers listed in the protected resource metadata (the site’s own IdP).'),
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Largest JSON-RPC message accepted on /mcp.'),
    maxSessions: z.number().int().min(1).max(1_000_000).default(10_000).describe('Open sessions at once.'),
    sessionIdleTimeout: duration.default('1h').describe('A session unused this long is forgotten.'),
    listRefresh: duration
      .default('30s')
      .describe(
        'tools/list re-reads upstream definitions (and re-checks pins) when the cached list is older than this; 0s always.',
      ),
  })
  .prefault({})
  .describe('The /mcp endpoint (Streamable HTTP).');

export const mcpConfigSchema = z
  .strictObject({
    surface: mcpSurfaceSchema,
    servers: z
      .array(mcpServerSchema)
      .default([])
      .refine((s) => new Set(s.map((x) => x.name)).size === s.length, 'server names must be unique')
      .refine(
        (s) => s.filter((x) => !x.namespaced).length <= 1,
        'at most one server may set namespaced: false (bare tool names would collide)',
      )
      .describe('Upstream MCP servers; their tools are aggregated as <server>__<tool>.'),
  })
  .prefault({})
  .describe('MCP gateway: the /mcp surface and the tool servers behind it.');

export type McpConfig = z.output<typeof mcpConfigSchema>;
export type McpConfigInput = z.input<typeof mcpConfigSchema>;
export type McpServerConfig = z.output<typeof mcpServerSchema>;
export type StdioServerConfig = z.output<typeof stdioServerSchema>;
export type HttpServerConfig = z.output<typeof httpServerSchema>;
export type McpSurfaceConfig = z.output<typeof mcpSurfaceSchema>;

/** Parse a duration string from this schema into milliseconds. */
export function durationToMs(value: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!m) throw new TypeError(`not a duration: ${value}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Number(m[1]) * unit;
}
