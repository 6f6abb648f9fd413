// Approving a server (an admin action): read the server's current tool list, scan every definition
// for injection markers, and pin the SHA-256 of each clean definition. A flagged tool is refused
// (left unpinned, so hidden) unless the admin forces it; forced markers are kept with the pin for
// review. The approval covers the list as a whole: tools no longer listed lose their pins.
// Prompts, resources and resource templates of a server that offers them are approved the same way
// in the same step (scanned, pinned by hash, the whole list replaced), except with --tools (`only`),
// which touches named tools alone.
import { type InjectionFlag, scanContentDefinition, scanToolDefinition } from './injection-scan.ts';
import type { ContentPinKind, ContentPins, PinStore, ToolPin } from './pin-store.ts';
import { contentDefinitionHash, contentId, toolDefinitionHash } from './tool-hash.ts';
import type { ContentMethod, McpUpstream } from './types.ts';

export interface ApprovalReport {
  readonly server: string;
  readonly approved: readonly { readonly tool: string; readonly hash: string; readonly forced: boolean }[];
  readonly refused: readonly {
    readonly tool: string;
    readonly hash: string;
    readonly flags: readonly InjectionFlag[];
  }[];
  /** Previously pinned tools whose hash changed with this approval. */
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  /** Prompts (by name), resources (by URI) and templates (by URI template), as for tools. */
  readonly content: {
    readonly approved: readonly {
      readonly kind: ContentPinKind;
      readonly id: string;
      readonly hash: string;
      readonly forced: boolean;
    }[];
    readonly refused: readonly {
      readonly kind: ContentPinKind;
      readonly id: string;
      readonly hash: string;
      readonly flags: readonly InjectionFlag[];
    }[];
    readonly changed: readonly string[];
    readonly removed: readonly string[];
  };
}

const CONTENT_LISTS: readonly {
  kind: ContentPinKind;
  method: ContentMethod;
  key: string;
  offer: 'prompts' | 'resources';
}[] = [
  { kind: 'prompts', method: 'prompts/list', key: 'prompts', offer: 'prompts' },
  { kind: 'resources', method: 'resources/list', key: 'resources', offer: 'resources' },
  { kind: 'templates', method: 'resources/templates/list', key: 'resourceTemplates', offer: 'resources' },
];

/** Every page of one content list (an approval must see the whole list; a failure fails it). */
async function listContent(
  upstream: McpUpstream,
  method: ContentMethod,
  key: string,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const res = await upstream.content!(method, cursor ? { cursor } : {}, AbortSignal.timeout(60_000));
    const items = res[key];
    if (Array.isArray(items))
      for (const i of items) if (typeof i === 'object' && i !== null && !Array.isArray(i)) out.push(i);
    cursor = typeof res.nextCursor === 'string' ? res.nextCursor : undefined;
    if (!cursor) break;
  }
  return out;
}

export interface ApproveOptions {
  readonly actor: string;
  /** Approve flagged tools too (their markers are recorded with the pin). */
  readonly force?: boolean;
  /** Only these tools (server names); the others keep their current pins. */
  readonly only?: readonly string[];
  readonly now?: Date;
}

export async function approveServer(
  upstream: McpUpstream,
  pins: PinStore,
  opts: ApproveOptions,
): Promise<ApprovalReport> {
  const tools = await upstream.listTools();
  const previous = pins.list(upstream.name);
  const next: Record<string, ToolPin> = opts.only ? { ...previous } : {};
  const approved: { tool: string; hash: string; forced: boolean }[] = [];
  const refused: { tool: string; hash: string; flags: InjectionFlag[] }[] = [];
  const changed: string[] = [];
  const at = (opts.now ?? new Date()).toISOString();
  for (const tool of tools) {
    if (opts.only && !opts.only.includes(tool.name)) continue;
    const hash = toolDefinitionHash(tool);
    const flags = scanToolDefinition(tool);
    if (flags.length > 0 && !opts.force) {
      refused.push({ tool: tool.name, hash, flags });
      // A refused definition must not keep an older pin alive under partial approval either.
      delete next[tool.name];
      continue;
    }
    if (previous[tool.name] && previous[tool.name]!.hash !== hash) changed.push(tool.name);
    next[tool.name] = {
      hash,
      approvedAt: at,
      approvedBy: opts.actor,
      forcedFlags: flags.map((f) => `${f.marker}@${f.field}`),
    };
    approved.push({ tool: tool.name, hash, forced: flags.length > 0 });
  }
  const listed = new Set(tools.map((t) => t.name));
  const removed = Object.keys(previous).filter((t) => !listed.has(t));
  for (const t of removed) delete next[t];

  const content: {
    approved: { kind: ContentPinKind; id: string; hash: string; forced: boolean }[];
    refused: { kind: ContentPinKind; id: string; hash: string; flags: InjectionFlag[] }[];
    changed: string[];
    removed: string[];
  } = { approved: [], refused: [], changed: [], removed: [] };
  let contentPins: ContentPins | undefined;
  if (!opts.only) {
    const offers = upstream.content ? upstream.offers?.() : undefined;
    const nextContent: Record<ContentPinKind, Record<string, ToolPin>> = {
      prompts: {},
      resources: {},
      templates: {},
    };
    for (const { kind, method, key, offer } of CONTENT_LISTS) {
      const before = pins.listContent(upstream.name, kind);
      const listed = offers?.[offer] === true ? await listContent(upstream, method, key) : [];
      const ids = new Set<string>();
      for (const def of listed) {
        const id = contentId(kind, def);
        if (id === undefined) continue;
        ids.add(id);
        const hash = contentDefinitionHash(kind, def);
        const flags = scanContentDefinition(def);
        if (flags.length > 0 && !opts.force) {
          content.refused.push({ kind, id, hash, flags });
          continue;
        }
        if (before[id] && before[id]!.hash !== hash) content.changed.push(`${kind}:${id}`);
        nextContent[kind][id] = {
          hash,
          approvedAt: at,
          approvedBy: opts.actor,
          forcedFlags: flags.map((f) => `${f.marker}@${f.field}`),
        };
        content.approved.push({ kind, id, hash, forced: flags.length > 0 });
      }
      for (const id of Object.keys(before)) if (!ids.has(id)) content.removed.push(`${kind}:${id}`);
    }
    contentPins = nextContent;
  }
  pins.replaceServer(upstream.name, next, contentPins);
  return { server: upstream.name, approved, refused, changed, removed, content };
}
