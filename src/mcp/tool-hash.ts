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
