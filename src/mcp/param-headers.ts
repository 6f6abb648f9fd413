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

/** Why a tool's x-mcp-header declarations make its definition invalid, or undefined. A conforming
 *  2026-07-28 client drops such a tool from tools/list (and the catalog does the same, so it is
 *  neither listed nor callable here): a name that is not an RFC 9110 token, a name repeated
 *  case-insensitively, a declaration on a property that is not string, integer, boolean (or number,
 *  as the TypeScript SDK and the conformance referee accept), or one not reachable from the root
 *  through `properties` alone (under items, anyOf, $defs, additionalProperties …, or on the root). */
/** JSON Schema keywords whose values are instance data, not schemas: an `x-mcp-header` key in an
 *  example is not a declaration. */
const DATA_KEYWORDS = new Set(['default', 'examples', 'const', 'enum']);

export function paramHeaderProblem(inputSchema: unknown): string | undefined {
  const seen = new Set<string>();
  let problem: string | undefined;
  const visit = (node: unknown, path: readonly string[] | undefined, depth: number) => {
    if (problem !== undefined || depth > 64) return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n, undefined, depth + 1);
      return;
    }
    if (!isObject(node)) return;
    if ('x-mcp-header' in node) {
      const name = node['x-mcp-header'];
      if (typeof name !== 'string' || !TOKEN.test(name))
        problem = `x-mcp-header ${JSON.stringify(name)?.slice(0, 80)} is not an HTTP token`;
      else if (path === undefined || path.length === 0)
        problem = `x-mcp-header "${name}" is not reachable through properties alone`;
      else if (typeof node.type !== 'string' || !TYPES.has(node.type))
        problem = `x-mcp-header "${name}" is on a parameter that is not string, integer or boolean`;
      else if (seen.has(name.toLowerCase())) problem = `x-mcp-header "${name}" is declared twice`;
      else seen.add(name.toLowerCase());
    }
    for (const [key, child] of Object.entries(node)) {
      if (DATA_KEYWORDS.has(key)) continue;
      if (key === 'properties' && isObject(child) && path !== undefined) {
        for (const [prop, schema] of Object.entries(child)) visit(schema, [...path, prop], depth + 1);
      } else if (typeof child === 'object' && child !== null) {
        visit(child, undefined, depth + 1);
      }
    }
  };
  visit(inputSchema, [], 0);
  return problem;
}

/** The declarations reachable through `properties` chains (the only places the extension allows;
 *  an annotation elsewhere makes the definition invalid: see paramHeaderProblem). */
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
