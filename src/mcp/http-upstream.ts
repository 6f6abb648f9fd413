// A remote MCP server over Streamable HTTP through the v2 SDK client, which speaks 2026-07-28 to a
// server that offers it and the 2025 handshake to one that does not (upstream-client.ts). The only
// headers it sends are the ones configured for this server (credentials resolved from the vault at
// each connection): the caller's own token never reaches an upstream (MCP authorization spec,
// "token passthrough" is forbidden). The URL must be on the gateway's egress allowlist, or the
// guard refuses the connection.
import { durationToMs, type HttpServerConfig } from './config.ts';
import { createSdkUpstream, type UpstreamEvent } from './sdk-upstream.ts';
import type { McpUpstream } from './types.ts';
import { createNegotiatingHttpClient } from './upstream-client.ts';

export interface HttpUpstreamDeps {
  readonly resolveSecret: (ref: string) => string;
  readonly onEvent?: (e: UpstreamEvent) => void;
}

export function createHttpUpstream(config: HttpServerConfig, deps: HttpUpstreamDeps): McpUpstream {
  const url = new URL(config.url);
  return createSdkUpstream({
    name: config.name,
    transport: 'http',
    callTimeoutMs: durationToMs(config.limits.callTimeout),
    maxConcurrentCalls: config.limits.maxConcurrentCalls,
    restart: { initialDelayMs: 250, maxDelayMs: 30_000 },
    onEvent: deps.onEvent,
    async makeClient() {
      const headers: Record<string, string> = {};
      for (const [name, ref] of Object.entries(config.headers)) headers[name] = deps.resolveSecret(ref);
      return createNegotiatingHttpClient(url, { headers, redirect: 'error' });
    },
  });
}
