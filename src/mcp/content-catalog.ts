// Prompts and resources of every upstream server, aggregated like tools (P10: one namespace).
// Prompts are `server__prompt`; a resource URI (and a resource template) is exposed as
// `airlock://<server>/<the server's own URI>`, so a read routes by prefix — also for URIs a client
// expands from a template — and two servers offering the same URI never collide. Lists are read
// from the servers on each request (they are small); a server that
// is down or did not declare the capability contributes nothing.
// A server with `namespaced: false` keeps its own prompt names and URIs (at most one; its entries
// that look like another server's namespace or like an `airlock://` URI are hidden, as for tools).
// Pinned like tools (rug pulls, poisoned descriptions): on a server that requires approval, a prompt,
// resource or template is shown only while its definition hashes to the approved pin; a changed one
// is hidden and alerts once per new definition. A get or read needs the prompt (resource) to be
// listed and approved now — or, for a URI that is not listed, an approved template matching it.
import { TOOL_SEPARATOR } from './config.ts';
import type { ContentPinKind, PinStore } from './pin-store.ts';
import { contentDefinitionHash } from './tool-hash.ts';
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
  /** A prompt by exposed name on a server that offers prompts (approved, when pinned); undefined
   *  otherwise. */
  prompt(name: string, signal: AbortSignal): Promise<ContentTarget | undefined>;
  /** A resource by exposed URI on a server that offers resources (approved, when pinned);
   *  undefined otherwise. */
  resource(uri: string, signal: AbortSignal): Promise<ContentTarget | undefined>;
  /** A server's own URI as clients see it (in read results). */
  expose(server: string, uri: string): string;
  /** Every listed prompt, resource and template with its hash and pin state (no alerts): for
   *  `airlock mcp status`. */
  status(signal: AbortSignal): Promise<ContentStatus[]>;
}

export interface ContentStatus {
  readonly server: string;
  readonly kind: ContentPinKind;
  /** The server's own prompt name, URI or URI template. */
  readonly id: string;
  readonly hash: string;
  readonly pin: 'approved' | 'unapproved' | 'changed' | 'not-required';
}

/** Per server: pinning and naming (absent: not pinned, namespaced). */
export interface ContentServer {
  readonly name: string;
  readonly requireApproval: boolean;
  readonly namespaced?: boolean;
}

export interface ContentPinAlert {
  readonly server: string;
  readonly kind: ContentPinKind;
  readonly id: string;
  readonly approvedHash: string | null;
  readonly currentHash: string;
}

/** RFC 6570 URI template → a regex matching its expansions (levels 1–4, loosely: a simple
 *  `{var}` stays inside one path segment, `{+var}`/`{#var}` may span, `{/…}`, `{.…}`, `{;…}`,
 *  `{?…}`, `{&…}` match their prefixed forms). Used only to let an approved template admit the
 *  URIs expanded from it. */
export function templateMatcher(template: string): RegExp {
  let out = '^';
  let last = 0;
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    out += template.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const op = m[1]![0];
    out +=
      op === '+' || op === '#'
        ? '.*'
        : op === '/'
          ? '(?:/[^/?#]*)*'
          : op === '.'
            ? '(?:\\.[^/?#]*)*'
            : op === ';'
              ? '(?:;[^/?#]*)*'
              : op === '?' || op === '&'
                ? '(?:[?&][^#]*)?'
                : '[^/?#]+';
    last = m.index + m[0].length;
  }
  return new RegExp(`${out}${template.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'u');
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

const KINDS = {
  prompts: { method: 'prompts/list', key: 'prompts', field: 'name', offer: 'prompts' },
  resources: { method: 'resources/list', key: 'resources', field: 'uri', offer: 'resources' },
  templates: {
    method: 'resources/templates/list',
    key: 'resourceTemplates',
    field: 'uriTemplate',
    offer: 'resources',
  },
} as const satisfies Record<
  ContentPinKind,
  { method: ContentMethod; key: string; field: string; offer: 'prompts' | 'resources' }
>;

interface Listed {
  readonly server: string;
  /** The server's own name / URI / template. */
  readonly id: string;
  readonly def: Record<string, unknown>;
}

export function createContentCatalog(deps: {
  readonly upstreams: ReadonlyMap<string, McpUpstream>;
  /** Pinning and naming per server; a server not named here is namespaced and not pinned. */
  readonly servers?: readonly ContentServer[];
  readonly pins?: PinStore;
  readonly onAlert?: (a: ContentPinAlert) => void;
}): ContentCatalog {
  const conf = new Map((deps.servers ?? []).map((s) => [s.name, s]));
  const bare = (deps.servers ?? []).find((s) => s.namespaced === false && deps.upstreams.has(s.name))?.name;
  const isBare = (server: string) => server === bare;
  const alerted = new Set<string>();
  const offers = (u: McpUpstream, kind: 'prompts' | 'resources') =>
    u.content !== undefined && u.offers?.()[kind] === true;
  const offering = (kind: 'prompts' | 'resources') =>
    [...deps.upstreams.values()].filter((u) => offers(u, kind));

  /** A bare name that looks like `<another server>__…` would shadow that server's entries. */
  const looksNamespaced = (name: string) => {
    const i = name.indexOf(TOOL_SEPARATOR);
    return i > 0 && deps.upstreams.has(name.slice(0, i));
  };
  const exposeName = (server: string, name: string) =>
    isBare(server) ? name : `${server}${TOOL_SEPARATOR}${name}`;
  const expose = (server: string, uri: string) => (isBare(server) ? uri : exposedUri(server, uri));
  const shadowing = (server: string, kind: ContentPinKind, id: string) =>
    isBare(server) && (kind === 'prompts' ? looksNamespaced(id) : id.startsWith(RESOURCE_SCHEME));

  /** Shown and usable: pinned servers need the approved hash (a change alerts once and hides). */
  function approved(l: Listed, kind: ContentPinKind): boolean {
    if (shadowing(l.server, kind, l.id)) return false;
    const c = conf.get(l.server);
    if (!c?.requireApproval || !deps.pins) return true;
    const hash = contentDefinitionHash(kind, l.def);
    const pin = deps.pins.getContent(l.server, kind, l.id);
    if (pin?.hash === hash) return true;
    if (pin) {
      const key = `${l.server}/${kind}/${l.id}/${hash}`;
      if (!alerted.has(key)) {
        alerted.add(key);
        deps.onAlert?.({ server: l.server, kind, id: l.id, approvedHash: pin.hash, currentHash: hash });
      }
    }
    return false;
  }

  /** Every page of one list method from one server; a failing server lists nothing. */
  async function listAll(u: McpUpstream, kind: ContentPinKind, signal: AbortSignal): Promise<Listed[]> {
    const { method, key, field } = KINDS[kind];
    const out: Listed[] = [];
    let cursor: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await u.content!(method, cursor ? { cursor } : {}, signal);
        const items = res[key];
        if (Array.isArray(items))
          for (const i of items)
            if (isObject(i) && typeof i[field] === 'string' && i[field] !== '')
              out.push({ server: u.name, id: i[field] as string, def: i });
        cursor = typeof res.nextCursor === 'string' ? res.nextCursor : undefined;
        if (!cursor) break;
      }
    } catch {
      // Down or failing: its entries are absent until it answers again.
    }
    return out;
  }

  const listKindRaw = async (kind: ContentPinKind, signal: AbortSignal) =>
    (await Promise.all(offering(KINDS[kind].offer).map((u) => listAll(u, kind, signal)))).flat();
  const listKind = async (kind: ContentPinKind, signal: AbortSignal) =>
    (await listKindRaw(kind, signal)).filter((l) => approved(l, kind));

  const resourcesOf = async (kind: 'resources' | 'templates', signal: AbortSignal) => {
    const field = KINDS[kind].field;
    return (await listKind(kind, signal)).map(
      (l): CatalogResource => ({
        uri: expose(l.server, l.id),
        server: l.server,
        upstreamUri: l.id,
        definition: { ...l.def, [field]: expose(l.server, l.id) },
      }),
    );
  };

  /** The server an exposed prompt name or URI routes to, and the server's own id. */
  function route(exposed: string, kind: 'prompts' | 'resources'): { server: string; id: string } | undefined {
    if (kind === 'prompts') {
      const i = exposed.indexOf(TOOL_SEPARATOR);
      const server = i > 0 ? exposed.slice(0, i) : undefined;
      if (server && deps.upstreams.has(server) && !isBare(server))
        return { server, id: exposed.slice(i + TOOL_SEPARATOR.length) };
      return bare && !looksNamespaced(exposed) ? { server: bare, id: exposed } : undefined;
    }
    const parts = splitExposedUri(exposed);
    if (parts && deps.upstreams.has(parts.server) && !isBare(parts.server))
      return { server: parts.server, id: parts.uri };
    return bare && !exposed.startsWith(RESOURCE_SCHEME) ? { server: bare, id: exposed } : undefined;
  }

  async function target(
    exposed: string,
    kind: 'prompts' | 'resources',
    signal: AbortSignal,
  ): Promise<ContentTarget | undefined> {
    const r = route(exposed, kind);
    const upstream = r ? deps.upstreams.get(r.server) : undefined;
    if (!r || !upstream || !offers(upstream, kind) || r.id.length === 0) return undefined;
    const t = { server: r.server, upstreamId: r.id, upstream };
    if (!conf.get(r.server)?.requireApproval || !deps.pins) return t;
    // Pinned: the entry as listed now must carry the approved hash (a rug pull is refused on use,
    // not only hidden from lists); a URI the server does not list needs an approved template.
    const listed = (await listAll(upstream, kind, signal)).find((l) => l.id === r.id);
    if (listed) return approved(listed, kind) ? t : undefined;
    if (kind === 'prompts') return undefined;
    const templates = await listAll(upstream, 'templates', signal);
    return templates.some((l) => approved(l, 'templates') && templateMatcher(l.id).test(r.id))
      ? t
      : undefined;
  }

  return {
    async prompts(signal) {
      return (await listKind('prompts', signal)).map((l): CatalogPrompt => {
        const name = exposeName(l.server, l.id);
        return { name, server: l.server, upstreamName: l.id, definition: { ...l.def, name } };
      });
    },
    resources: (signal) => resourcesOf('resources', signal),
    templates: (signal) => resourcesOf('templates', signal),
    prompt: (name, signal) => target(name, 'prompts', signal),
    resource: (uri, signal) => target(uri, 'resources', signal),
    expose,
    async status(signal) {
      const out: ContentStatus[] = [];
      for (const kind of ['prompts', 'resources', 'templates'] as const)
        for (const l of await listKindRaw(kind, signal)) {
          const hash = contentDefinitionHash(kind, l.def);
          const pin = !conf.get(l.server)?.requireApproval
            ? 'not-required'
            : deps.pins?.getContent(l.server, kind, l.id) === undefined
              ? 'unapproved'
              : deps.pins.getContent(l.server, kind, l.id)!.hash === hash
                ? 'approved'
                : 'changed';
          out.push({ server: l.server, kind, id: l.id, hash, pin });
        }
      return out;
    },
  };
}
