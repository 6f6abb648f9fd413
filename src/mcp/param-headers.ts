// Mcp-Param-{Name} headers (2026-07-28 Streamable HTTP, "Schema Extension", SEP-2243): a tool's
// inputSchema may mark primitive properties with `x-mcp-header: Name`, and a 2026-era client then
// mirrors each such argument into an `Mcp-Param-Name` header so proxies can route on it. A gateway
// that lets the header and the body disagree would let a request be routed (or allowed by a WAF)
// on one value and executed with another, so every declared argument present in the body must have
// its header, decoding (`=?base64?…?=` when not plain ASCII) to the same value. A 2025-era request
// may carry the headers too (as it may Mcp-Method and Mcp-Name): when it does they must agree, or
// dropping `_meta` would let a client route on one value and execute another.
import { decodeHeaderValue } from './revisions.ts';

export interface ParamHeader {
  /** Property path from the arguments root (a chain of `properties` keys). */
  readonly path: readonly string[];
  /** The header name after `Mcp-Param-`, as declared. */
  readonly name: string;
  readonly type: 'string' | 'integer' | 'boolean' | 'number';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.6.2
const TYPES = new Set(['string', 'integer', 'boolean', 'number']);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The declarations reachable through `properties` chains (the only places the extension allows;
 *  an annotation elsewhere makes the definition invalid, and such a tool is not callable here). */
export function paramHeaders(inputSchema: unknown): readonly ParamHeader[] {
  const out: ParamHeader[] = [];
  const visit = (node: unknown, path: string[], depth: number) => {
    if (!isObject(node) || depth > 32) return;
    const name = node['x-mcp-header'];
    const type = node.type;
    if (
      path.length > 0 &&
      typeof name === 'string' &&
      TOKEN.test(name) &&
      typeof type === 'string' &&
      TYPES.has(type)
    )
      out.push({ path, name, type: type as ParamHeader['type'] });
    if (isObject(node.properties))
      for (const [key, child] of Object.entries(node.properties)) visit(child, [...path, key], depth + 1);
  };
  visit(inputSchema, [], 0);
  return out;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** undefined when every declared argument in the body has a matching header; else a safe reason.
 *  `required: false` (2025 era): a missing header is fine, a present one must still match. */
export function paramHeaderMismatch(
  declarations: readonly ParamHeader[],
  args: Readonly<Record<string, unknown>>,
  header: (name: string) => string | undefined,
  required = true,
): string | undefined {
  for (const d of declarations) {
    let value: unknown = args;
    for (const key of d.path) value = isObject(value) ? value[key] : undefined;
    if (value === undefined || value === null) continue;
    const expected = asText(value);
    if (expected === undefined) continue;
    const raw = header(`mcp-param-${d.name.toLowerCase()}`);
    if (raw === undefined) {
      if (required) return `the Mcp-Param-${d.name} header is required`;
      continue;
    }
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined) return `Mcp-Param-${d.name} is not valid base64`;
    const numeric =
      (d.type === 'integer' || d.type === 'number') &&
      typeof value === 'number' &&
      /^-?\d+(\.\d+)?$/.test(decoded);
    if (numeric ? Number(decoded) !== value : decoded !== expected)
      return `Mcp-Param-${d.name} differs from the argument`;
  }
  return undefined;
}
