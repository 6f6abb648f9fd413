// Tool-poisoning markers: text in a tool's definition that speaks to the model instead of describing
// the tool (OWASP LLM01 indirect prompt injection; Invariant Labs' "tool poisoning" write-up). Run at
// approval on every string in the definition (description, titles, schema descriptions and
// defaults). A hit is a flag an admin must override with --force, never a silent approval.
import type { UpstreamTool } from './types.ts';

export interface InjectionFlag {
  /** Stable marker id, e.g. `ignore-instructions`. */
  readonly marker: string;
  /** Where it was found, e.g. `description` or `inputSchema.properties.path.description`. */
  readonly field: string;
}

interface Marker {
  readonly id: string;
  readonly test: (text: string) => boolean;
}

const re = (id: string, pattern: RegExp): Marker => ({ id, test: (t) => pattern.test(t) });

/** Small on purpose: each entry is a pattern seen in published tool-poisoning examples. */
const MARKERS: readonly Marker[] = [
  re(
    'ignore-instructions',
    /\b(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|other|system)\s+(instructions|prompts?|rules|messages)/i,
  ),
  re(
    'instruction-tag',
    /<\s*\/?\s*(important|system|instructions?|secret|hidden|admin|sudo|critical)\b[^>]*>/i,
  ),
  re(
    'do-not-tell',
    /\b(do\s+not|don'?t|never)\s+(tell|mention|inform|reveal|show|notify)\b.{0,40}\b(user|human)/i,
  ),
  re(
    'read-sensitive-files',
    /(~\/\.ssh|id_rsa|id_ed25519|\.env\b|\/etc\/passwd|\/etc\/shadow|\.aws\/credentials|\.npmrc|\.netrc|mcp\.json|\.cursor\/|\.kube\/config)/i,
  ),
  re(
    'read-files-instruction',
    /\b(read|open|cat|load|include)\s+(the\s+)?(contents?\s+of\s+)?(any|all|the\s+user'?s?|every|local|private)\s+(files?|keys?|credentials?|secrets?|config)/i,
  ),
  re(
    'exfiltrate',
    /\b(send|post|upload|forward|exfiltrate|transmit|leak|copy)\b.{0,60}\b(to\s+(https?:\/\/|the\s+(following|attacker)|this\s+(url|address|email))|webhook|external\s+server)/i,
  ),
  re(
    'pass-secrets-as-argument',
    /\b(pass|include|put|add)\b.{0,40}\b(api[\s_-]?keys?|tokens?|passwords?|credentials?|secrets?)\b.{0,40}\b(parameter|argument|field|sidenote|note)/i,
  ),
  re(
    'other-tools',
    /\b(when|whenever|before|after)\b.{0,30}\b(calling|using|invoking)\b.{0,30}\b(any\s+other|another|other)\s+tools?\b/i,
  ),
  // Unicode tag characters (U+E0000–U+E007F) smuggle invisible ASCII; zero-width and bidi controls
  // hide or reorder text a reviewer reads.
  re('hidden-unicode-tags', /[\u{E0000}-\u{E007F}]/u),
  re('zero-width', /[\u200B-\u200D\u2060\uFEFF\u180E]/u),
  re('bidi-control', /[\u202A-\u202E\u2066-\u2069]/u),
];

/** Every string in a JSON value with its path. */
function strings(value: unknown, path: string, out: { field: string; text: string }[], depth = 0): void {
  if (depth > 32) return;
  if (typeof value === 'string') out.push({ field: path, text: value });
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) strings(v, `${path}[${i}]`, out, depth + 1);
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      // Property names are read by models too.
      out.push({ field: `${path}.${k}(key)`, text: k });
      strings(v, `${path}.${k}`, out, depth + 1);
    }
}

export function scanToolDefinition(tool: UpstreamTool): InjectionFlag[] {
  const texts: { field: string; text: string }[] = [{ field: 'name', text: tool.name }];
  if (tool.description !== undefined) texts.push({ field: 'description', text: tool.description });
  if (typeof tool['title'] === 'string') texts.push({ field: 'title', text: tool['title'] });
  strings(tool.inputSchema, 'inputSchema', texts);
  if (tool['annotations']) strings(tool['annotations'], 'annotations', texts);
  return flagsIn(texts);
}

/** A prompt, resource or resource template as listed: every string in it (name, title,
 *  description, a prompt's argument names and descriptions, URI, MIME type) is read by someone. */
export function scanContentDefinition(def: Readonly<Record<string, unknown>>): InjectionFlag[] {
  const texts: { field: string; text: string }[] = [];
  for (const [k, v] of Object.entries(def)) strings(v, k, texts);
  return flagsIn(texts);
}

function flagsIn(texts: readonly { field: string; text: string }[]): InjectionFlag[] {
  const flags: InjectionFlag[] = [];
  const seen = new Set<string>();
  for (const { field, text } of texts) {
    for (const m of MARKERS) {
      if (!m.test(text)) continue;
      const key = `${m.id}@${field}`;
      if (seen.has(key)) continue;
      seen.add(key);
      flags.push({ marker: m.id, field });
    }
  }
  return flags;
}
