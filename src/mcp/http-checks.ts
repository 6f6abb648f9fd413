// Checks on the HTTP exchange before any JSON-RPC is read: Host and Origin against the configured
// lists (DNS rebinding: a page on an attacker's name that resolves to 127.0.0.1 must not reach a
// local gateway — MCP transport spec, "Security Warning"), no credentials in the query string
// (RFC 6750 §5.3, MCP authorization spec), and the OAuth protected resource metadata (RFC 9728)
// that a 401's WWW-Authenticate challenge points to.
import type { IncomingHttpHeaders } from 'node:http';
import type { McpSurfaceConfig } from './config.ts';

export interface AccessChecks {
  /** undefined when allowed; otherwise which header failed. */
  refusedBy(headers: IncomingHttpHeaders): 'host' | 'origin' | undefined;
}

const lower = (s: string) => s.toLowerCase();

export function createAccessChecks(
  config: Pick<McpSurfaceConfig, 'allowedHosts' | 'allowedOrigins'>,
): AccessChecks {
  const hosts = new Set(config.allowedHosts.map(lower));
  const origins = new Set(config.allowedOrigins.map(lower));
  const hostAllowed = (host: string) => {
    const h = lower(host);
    if (hosts.has(h)) return true;
    // `host:port` matches an entry without a port.
    const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(h);
    return m !== null && hosts.has(m[1]!);
  };
  return {
    refusedBy(headers) {
      const host = headers.host;
      if (typeof host !== 'string' || !hostAllowed(host)) return 'host';
      const origin = headers.origin;
      if (origin !== undefined && (typeof origin !== 'string' || !origins.has(lower(origin))))
        return 'origin';
      return undefined;
    },
  };
}

const TOKEN_PARAMS = /(?:^|&)(access_token|token|id_token|api_key|apikey|key|auth|authorization|bearer)=/i;

/** True when the query string carries something that looks like a credential. */
export function tokenInQuery(url: string): boolean {
  const q = url.indexOf('?');
  return q >= 0 && TOKEN_PARAMS.test(url.slice(q + 1));
}

export const METADATA_PATH = '/.well-known/oauth-protected-resource';

/** The resource URI of /mcp: the configured one, or derived from the (already validated) Host. */
export function resourceUri(
  config: Pick<McpSurfaceConfig, 'resource'>,
  protocol: string,
  host: string,
): string {
  return config.resource ?? `${protocol}://${host}/mcp`;
}

/** RFC 9728 §3.1: the metadata URL for a resource with a path inserts the well-known segment. */
export function metadataUrl(resource: string): string {
  const u = new URL(resource);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}${METADATA_PATH}${path}`;
}

export function protectedResourceMetadata(
  config: Pick<McpSurfaceConfig, 'authorizationServers'>,
  resource: string,
): Record<string, unknown> {
  return {
    resource,
    authorization_servers: config.authorizationServers,
    bearer_methods_supported: ['header'],
    resource_name: 'airlock MCP gateway',
  };
}

/** RFC 6750 §3 challenge with the RFC 9728 §5.1 resource_metadata parameter. */
export function bearerChallenge(resource: string, error?: 'invalid_token'): string {
  const parts = [`resource_metadata="${metadataUrl(resource)}"`];
  if (error) parts.push(`error="${error}"`);
  return `Bearer ${parts.join(', ')}`;
}
