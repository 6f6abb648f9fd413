// The tool catalog: every upstream's tools under `server__tool`, each with the SHA-256 of its
// definition and its pin status. Only approved (or approval-not-required) tools inside the server's
// allowlist are visible; a tool whose definition differs from the approved hash (a rug pull) is
// hidden and raises one alert per new definition until an admin approves it again.
import { TOOL_SEPARATOR } from './config.ts';
import { paramHeaderProblem } from './param-headers.ts';
import type { PinStore } from './pin-store.ts';
import { toolDefinitionHash } from './tool-hash.ts';
import type { CatalogTool, McpUpstream, PinStatus, UpstreamTool } from './types.ts';

export interface CatalogServer {
  readonly upstream: McpUpstream;
  readonly allow?: readonly string[];
  readonly requireApproval: boolean;
  /** false: tools keep their own names (at most one such server; see config `namespaced`). */
  readonly namespaced?: boolean;
}

export interface PinAlert {
  readonly server: string;
  readonly tool: string;
  readonly approvedHash: string;
  readonly currentHash: string;
}

export interface CatalogDeps {
  readonly servers: readonly CatalogServer[];
  readonly pins: PinStore;
  /** Upstream lists older than this are re-read on the next list (0: always). */
  readonly refreshMs: number;
  readonly onAlert?: (alert: PinAlert) => void;
}

export interface ToolCatalog {
  /** Every tool with its status (visible or not); for `airlock mcp status` and diagnostics. */
  all(signal?: AbortSignal): Promise<CatalogTool[]>;
  /** Tools a client may be shown (before the per-caller policy filter). */
  visible(signal?: AbortSignal): Promise<CatalogTool[]>;
  /** A visible tool by its namespaced name, or undefined (unknown, hidden or not allowlisted). */
  resolve(name: string, signal?: AbortSignal): Promise<CatalogTool | undefined>;
  upstream(server: string): McpUpstream | undefined;
  /** Marks a server's list stale (its tools changed, or a pin was approved). */
  invalidate(server?: string): void;
}

export function namespacedName(server: string, tool: string): string {
  return `${server}${TOOL_SEPARATOR}${tool}`;
}

export function splitName(name: string): { server: string; tool: string } | undefined {
  const i = name.indexOf(TOOL_SEPARATOR);
  if (i <= 0 || i + TOOL_SEPARATOR.length >= name.length) return undefined;
  return { server: name.slice(0, i), tool: name.slice(i + TOOL_SEPARATOR.length) };
}

interface Cached {
  tools: UpstreamTool[];
  at: number;
  stale: boolean;
  pending?: Promise<void>;
}

export function createToolCatalog(deps: CatalogDeps): ToolCatalog {
  const servers = new Map(deps.servers.map((s) => [s.upstream.name, s]));
  const bare = deps.servers.find((s) => s.namespaced === false);
  const exposedName = (server: CatalogServer, tool: string) =>
    server.namespaced === false ? tool : namespacedName(server.upstream.name, tool);
  /** A bare tool named like another server's namespace would shadow (or be shadowed by) it. */
  const looksNamespaced = (tool: string) => {
    const parts = splitName(tool);
    return parts !== undefined && servers.has(parts.server);
  };
  const cache = new Map<string, Cached>();
  const alerted = new Set<string>();
  // Upstream tool objects are replaced on every re-read, so a hash cached per object stays right.
  const hashes = new WeakMap<UpstreamTool, string>();
  const hashOf = (t: UpstreamTool): string => {
    let h = hashes.get(t);
    if (h === undefined) {
      h = toolDefinitionHash(t);
      hashes.set(t, h);
    }
    return h;
  };

  for (const s of deps.servers) s.upstream.onToolsChanged(() => invalidateOne(s.upstream.name));

  function invalidateOne(server: string) {
    const c = cache.get(server);
    if (c) c.stale = true;
  }

  async function load(server: CatalogServer, signal?: AbortSignal): Promise<UpstreamTool[]> {
    const name = server.upstream.name;
    let c = cache.get(name);
    const fresh = c && !c.stale && performance.now() - c.at < deps.refreshMs;
    if (c && fresh) return c.tools;
    if (!c) {
      c = { tools: [], at: 0, stale: true };
      cache.set(name, c);
    }
    const entry = c;
    entry.pending ??= (async () => {
      try {
        const tools = await server.upstream.listTools(signal);
        entry.tools = tools;
        entry.at = performance.now();
        entry.stale = false;
      } catch {
        // Down or failing: keep the last list (its calls fail with upstream_unavailable) and retry
        // on the next list.
      } finally {
        entry.pending = undefined;
      }
    })();
    await entry.pending;
    return entry.tools;
  }

  function pinStatus(server: CatalogServer, tool: string, hash: string): PinStatus {
    if (!server.requireApproval) return 'not-required';
    const pin = deps.pins.get(server.upstream.name, tool);
    if (!pin) return 'unapproved';
    if (pin.hash === hash) return 'approved';
    const key = `${server.upstream.name}/${tool}/${hash}`;
    if (!alerted.has(key)) {
      alerted.add(key);
      deps.onAlert?.({ server: server.upstream.name, tool, approvedHash: pin.hash, currentHash: hash });
    }
    return 'changed';
  }

  function entry(server: CatalogServer, t: UpstreamTool): CatalogTool {
    const name = exposedName(server, t.name);
    const hash = hashOf(t);
    return {
      name,
      server: server.upstream.name,
      upstreamName: t.name,
      definition: { ...t, name },
      hash,
      pin: pinStatus(server, t.name, hash),
    };
  }

  // A definition with an invalid x-mcp-header is dropped, as a conforming 2026-07-28 client drops
  // it: listed, a client would refuse it; callable, its headers could not be checked against the body.
  const headerProblems = new WeakMap<object, string | null>();
  const headersValid = (t: CatalogTool) => {
    const schema: unknown = t.definition.inputSchema;
    if (typeof schema !== 'object' || schema === null) return true;
    let problem = headerProblems.get(schema);
    if (problem === undefined) {
      problem = paramHeaderProblem(schema) ?? null;
      headerProblems.set(schema, problem);
    }
    return problem === null;
  };

  const isVisible = (server: CatalogServer, t: CatalogTool) =>
    (t.pin === 'approved' || t.pin === 'not-required') &&
    headersValid(t) &&
    (server.allow === undefined || server.allow.includes(t.upstreamName)) &&
    !(server.namespaced === false && looksNamespaced(t.upstreamName));

  async function all(signal?: AbortSignal): Promise<CatalogTool[]> {
    const lists = await Promise.all(
      deps.servers.map(async (s) => (await load(s, signal)).map((t) => entry(s, t))),
    );
    return lists.flat();
  }

  return {
    all,
    async visible(signal) {
      return (await all(signal)).filter((t) => isVisible(servers.get(t.server)!, t));
    },
    async resolve(name, signal) {
      const split = splitName(name);
      const prefixed = split ? servers.get(split.server) : undefined;
      const parts =
        prefixed && prefixed.namespaced !== false
          ? split
          : bare && !looksNamespaced(name)
            ? { server: bare.upstream.name, tool: name }
            : undefined;
      const server = parts ? servers.get(parts.server) : undefined;
      if (!parts || !server) return undefined;
      if (server.allow !== undefined && !server.allow.includes(parts.tool)) return undefined;
      const t = (await load(server, signal)).find((x) => x.name === parts.tool);
      if (!t) return undefined;
      const e = entry(server, t);
      return isVisible(server, e) ? e : undefined;
    },
    upstream: (server) => servers.get(server)?.upstream,
    invalidate(server) {
      if (server) invalidateOne(server);
      else for (const name of servers.keys()) invalidateOne(name);
    },
  };
}
