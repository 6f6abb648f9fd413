// Tool pinning hashes: SHA-256 over the RFC 8785 canonical JSON of what a model reads about a tool —
// its name, description and input schema. Key order, whitespace and number spelling do not change
// the hash; any change to the words or the schema does (a rug pull, a poisoned description).
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { UpstreamTool } from './types.ts';

export function canonicalToolDefinition(tool: UpstreamTool): string {
  const text = canonicalize({
    name: tool.name,
    description: tool.description ?? '',
    inputSchema: tool.inputSchema ?? {},
  });
  if (text === undefined) throw new TypeError(`tool ${tool.name} has no JSON form`);
  return text;
}

/** `sha256:<hex>` of the canonical definition. */
export function toolDefinitionHash(tool: UpstreamTool): string {
  return `sha256:${createHash('sha256').update(canonicalToolDefinition(tool)).digest('hex')}`;
}

/** Prompts, resources and resource templates are pinned like tools (what a model or a user reads
 *  about them): a prompt's name, description and arguments; a resource's URI (or URI template),
 *  name, description and MIME type. */
export type ContentKind = 'prompts' | 'resources' | 'templates';

/** The pinned id of a listed entry: the prompt name, the resource URI or the URI template. */
export function contentId(kind: ContentKind, def: Readonly<Record<string, unknown>>): string | undefined {
  const id = def[kind === 'prompts' ? 'name' : kind === 'resources' ? 'uri' : 'uriTemplate'];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

export function canonicalContentDefinition(
  kind: ContentKind,
  def: Readonly<Record<string, unknown>>,
): string {
  const text = canonicalize(
    kind === 'prompts'
      ? { name: def.name ?? '', description: def.description ?? '', arguments: def.arguments ?? [] }
      : {
          [kind === 'resources' ? 'uri' : 'uriTemplate']: contentId(kind, def) ?? '',
          name: def.name ?? '',
          description: def.description ?? '',
          mimeType: def.mimeType ?? '',
        },
  );
  if (text === undefined) throw new TypeError(`${kind} entry has no JSON form`);
  return text;
}

/** `sha256:<hex>` of a prompt's or resource's canonical definition. */
export function contentDefinitionHash(kind: ContentKind, def: Readonly<Record<string, unknown>>): string {
  return `sha256:${createHash('sha256').update(canonicalContentDefinition(kind, def)).digest('hex')}`;
}
