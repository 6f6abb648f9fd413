// Prompts and resources of every upstream server, aggregated like tools (P10: one namespace).
// Prompts are `server__prompt`; a resource URI (and a resource template) is exposed as
// `airlock://<server>/<the server's own URI>`, so a read routes by prefix — also for URIs a client
// expands from a template — and two servers offering the same URI never collide. Lists are read
// from the servers on each request (they are small, and pinning covers tools only); a server that
// is down or did not declare the capability contributes nothing.
import { TOOL_SEPARATOR } from './config.ts';
import type { ContentMethod, McpUpstream } from './types.ts';

export const RESOURCE_SCHEME = 'airlock:';

export interface CatalogPrompt {
  /** `server__prompt` as the client sees it. */
  readonly name: string;
  readonly server: string;
  readonly upstreamName: string;
  /** The MCP `Prompt` sent to clients (name replaced by the namespaced one). */
  readonly definition: Readonly<Record<string, unknown>>;
}

export interface CatalogResource {
  /** `airlock://server/<uri>` (or the exposed template for a resource template). */
  readonly uri: string;
  readonly server: string;
  /** The server's own URI (or URI template): what policies see as `resource.uri`. */
  readonly upstreamUri: string;
  readonly definition: Readonly<Record<string, unknown>>;
}

export interface ContentTarget {
  readonly server: string;
  /** The server's own prompt name or resource URI. */
  readonly upstreamId: string;
  readonly upstream: McpUpstream;
}

export interface ContentCatalog {
  prompts(signal: AbortSignal): Promise<CatalogPrompt[]>;
  resources(signal: AbortSignal): Promise<CatalogResource[]>;
  templates(signal: AbortSignal): Promise<CatalogResource[]>;
  /** A prompt by namespaced name on a server that offers prompts; undefined otherwise. */
  prompt(name: string): ContentTarget | undefined;
  /** A resource by exposed URI on a server that offers resources; undefined otherwise. */
  resource(uri: string): ContentTarget | undefined;
}

export function exposedUri(server: string, uri: string): string {
  return `${RESOURCE_SCHEME}//${server}/${uri}`;
}

/** `airlock://server/<uri>` → its parts; undefined for anything else. */
export function splitExposedUri(uri: string): { server: string; uri: string } | undefined {
  const prefix = `${RESOURCE_SCHEME}//`;
  if (!uri.startsWith(prefix)) return undefined;
  const rest = uri.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { server: rest.slice(0, slash), uri: rest.slice(slash + 1) };
}

/** True when a URI's path has `.` or `..` segments, also percent-encoded (`%2e`) or behind an
 *  encoded separator (`%2f`, `\\`). A policy on `memo://public/*` must not admit
 *  `memo://public/../private/plan`, which a server may resolve (RFC 3986 §5.2.4) to a path the
 *  policy never allowed: such URIs are refused, not normalised (fail closed). */
export function hasDotSegments(uri: string): boolean {
  let decoded = uri;
  for (let i = 0; i < 3 && /%[0-9a-f]{2}/i.test(decoded); i++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return true;
    }
  }
  return decoded.split(/[/\\?#]/).some((segment) => segment === '.' || segment === '..');
}

const MAX_PAGES = 20;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function createContentCatalog(deps: {
  readonly upstreams: ReadonlyMap<string, McpUpstream>;
}): ContentCatalog {
  const offering = (kind: 'prompts' | 'resources') =>
    [...deps.upstreams.values()].filter((u) => u.content !== undefined && u.offers?.()[kind] === true);

  /** Every page of one list method from one server; a failing server lists nothing. */
  async function listAll(
    u: McpUpstream,
    method: ContentMethod,
    key: string,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await u.content!(method, cursor ? { cursor } : {}, signal);
        const items = res[key];
        if (Array.isArray(items)) for (const i of items) if (isObject(i)) out.push(i);
        cursor = typeof res.nextCursor === 'string' ? res.nextCursor : undefined;
        if (!cursor) break;
      }
    } catch {
      // Down or failing: its entries are absent until it answers again.
    }
    return out;
  }

  const resourcesOf = async (method: ContentMethod, key: string, field: string, signal: AbortSignal) => {
    const lists = await Promise.all(
      offering('resources').map(async (u) =>
        (await listAll(u, method, key, signal))
          .filter((r) => typeof r[field] === 'string')
          .map(
            (r): CatalogResource => ({
              uri: exposedUri(u.name, r[field] as string),
              server: u.name,
              upstreamUri: r[field] as string,
              definition: { ...r, [field]: exposedUri(u.name, r[field] as string) },
            }),
          ),
      ),
    );
    return lists.flat();
  };

  const target = (server: string, id: string, kind: 'prompts' | 'resources'): ContentTarget | undefined => {
    const upstream = deps.upstreams.get(server);
    if (!upstream?.content || upstream.offers?.()[kind] !== true || id.length === 0) return undefined;
    return { server, upstreamId: id, upstream };
  };

  return {
    async prompts(signal) {
      const lists = await Promise.all(
        offering('prompts').map(async (u) =>
          (await listAll(u, 'prompts/list', 'prompts', signal))
            .filter((p) => typeof p.name === 'string')
            .map((p): CatalogPrompt => {
              const name = `${u.name}${TOOL_SEPARATOR}${p.name as string}`;
              return { name, server: u.name, upstreamName: p.name as string, definition: { ...p, name } };
            }),
        ),
      );
      return lists.flat();
    },
    resources: (signal) => resourcesOf('resources/list', 'resources', 'uri', signal),
    templates: (signal) =>
      resourcesOf('resources/templates/list', 'resourceTemplates', 'uriTemplate', signal),
    prompt(name) {
      const i = name.indexOf(TOOL_SEPARATOR);
      if (i <= 0) return undefined;
      return target(name.slice(0, i), name.slice(i + TOOL_SEPARATOR.length), 'prompts');
    },
    resource(uri) {
      const parts = splitExposedUri(uri);
      return parts ? target(parts.server, parts.uri, 'resources') : undefined;
    },
  };
}
