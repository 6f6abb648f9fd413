// Approving a server (an admin action): read the server's current tool list, scan every definition
// for injection markers, and pin the SHA-256 of each clean definition. A flagged tool is refused
// (left unpinned, so hidden) unless the admin forces it; forced markers are kept with the pin for
// review. The approval covers the list as a whole: tools no longer listed lose their pins.
import { type InjectionFlag, scanToolDefinition } from './injection-scan.ts';
import type { PinStore, ToolPin } from './pin-store.ts';
import { toolDefinitionHash } from './tool-hash.ts';
import type { McpUpstream } from './types.ts';

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
  pins.replaceServer(upstream.name, next);
  return { server: upstream.name, approved, refused, changed, removed };
}
