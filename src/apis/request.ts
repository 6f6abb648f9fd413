// From an HTTP request (or an MCP tool call's arguments) to validated parts, and back to the
// upstream path and query. Values are coerced from text by the parameter's schema type, then
// validated; the first problem is reported with the parameter named (`query.limit must be at most
// 100`), never with its value.
import type { ApiOperation, ApiParameter, ApiRequestParts } from './openapi.ts';

export interface RequestProblem {
  /** `path.id`, `query.limit`, `header.x-tenant`, `body.items[0].sku` or `body`. */
  readonly parameter: string;
  readonly message: string;
}

export type Parsed =
  | { readonly ok: true; readonly parts: ApiRequestParts }
  | { readonly ok: false; readonly problem: RequestProblem };

const fail = (parameter: string, message: string): Parsed => ({ ok: false, problem: { parameter, message } });

function coerceScalar(text: string, type: string | undefined): unknown {
  switch (type) {
    case 'integer':
    case 'number': {
      if (text.trim() === '') return text;
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'null':
      return text === '' || text === 'null' ? null : text;
    default:
      return text;
  }
}

function coerce(values: readonly string[], p: ApiParameter): unknown {
  if (p.type === 'array') {
    const items = p.commaSeparated && values.length === 1 ? values[0]!.split(',') : values;
    return items.map((v) => coerceScalar(v, p.itemType));
  }
  return coerceScalar(values[0]!, p.type);
}

function check(p: ApiParameter, value: unknown): RequestProblem | undefined {
  const issue = p.validate(value, `${p.in}.${p.name}`);
  return issue ? { parameter: issue.path, message: issue.message } : undefined;
}

/** Validates an HTTP request: raw path values from the match, the raw query string, headers, body. */
export function parseHttpRequest(
  op: ApiOperation,
  input: {
    readonly rawPath: Readonly<Record<string, string>>;
    readonly query: string;
    readonly headers: Readonly<Record<string, string | string[] | undefined>>;
    readonly body: unknown;
    readonly hasBody: boolean;
  },
): Parsed {
  const parts = {
    path: {} as Record<string, unknown>,
    query: {} as Record<string, unknown>,
    headers: {} as Record<string, unknown>,
  };
  const search = new URLSearchParams(input.query);
  const declaredQuery = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  for (const key of new Set(search.keys()))
    if (!declaredQuery.has(key)) return fail(`query.${key}`, 'is not a parameter of this operation');
  for (const p of op.parameters) {
    let values: string[];
    if (p.in === 'path') {
      try {
        values = [decodeURIComponent(input.rawPath[p.name] ?? '')];
      } catch {
        return fail(`path.${p.name}`, 'is not valid percent-encoding');
      }
    } else if (p.in === 'query') values = search.getAll(p.name);
    else {
      const h = input.headers[p.name];
      values = h === undefined ? [] : Array.isArray(h) ? h : [h];
    }
    if (values.length === 0) {
      if (p.required) return fail(`${p.in}.${p.name}`, 'is required');
      continue;
    }
    if (values.length > 1 && p.type !== 'array') return fail(`${p.in}.${p.name}`, 'is given more than once');
    if (p.in === 'path' && isDotSegment(values[0]!)) return fail(`path.${p.name}`, 'must not be . or ..');
    const value = coerce(values, p);
    const problem = check(p, value);
    if (problem) return { ok: false, problem };
    parts[p.in === 'header' ? 'headers' : p.in][p.name] = value;
  }
  return withBody(op, parts, input.hasBody, input.body);
}

function withBody(
  op: ApiOperation,
  parts: Omit<ApiRequestParts, 'body'>,
  hasBody: boolean,
  body: unknown,
): Parsed {
  if (!op.body) return hasBody ? fail('body', 'is not accepted by this operation') : { ok: true, parts };
  if (!hasBody) return op.body.required ? fail('body', 'is required') : { ok: true, parts };
  const issue = op.body.validate(body, 'body');
  if (issue) return fail(issue.path, issue.message);
  return { ok: true, parts: { ...parts, body } };
}

/** The operation's input as one flat argument object: parameters by name, then the body's fields
 *  (or `body`). This is both the MCP tool's arguments and the policy's `context.arguments`. */
export function argumentsOf(op: ApiOperation, parts: ApiRequestParts): Record<string, unknown> {
  const args: Record<string, unknown> = { ...parts.path, ...parts.query, ...parts.headers };
  if (parts.body === undefined) return args;
  if (op.body?.flatten && typeof parts.body === 'object' && parts.body !== null && !Array.isArray(parts.body))
    Object.assign(args, parts.body);
  else args.body = parts.body;
  return args;
}

/** The inverse of argumentsOf for a tool call: splits and validates arguments (typed JSON already). */
export function parseToolArguments(op: ApiOperation, args: Readonly<Record<string, unknown>>): Parsed {
  const parts = {
    path: {} as Record<string, unknown>,
    query: {} as Record<string, unknown>,
    headers: {} as Record<string, unknown>,
  };
  const paramNames = new Set(op.parameters.map((p) => p.name));
  for (const p of op.parameters) {
    const value = args[p.name];
    if (value === undefined) {
      if (p.required) return fail(p.name, 'is required');
      continue;
    }
    if (p.in === 'path' && typeof value === 'string' && isDotSegment(value))
      return fail(p.name, 'must not be . or ..');
    const problem = check(p, value);
    if (problem) return { ok: false, problem: { ...problem, parameter: p.name } };
    parts[p.in === 'header' ? 'headers' : p.in][p.name] = value;
  }
  if (op.body?.flatten) {
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) if (!paramNames.has(k)) body[k] = v;
    const present = Object.keys(body).length > 0;
    return withBody(op, parts, present || op.body.required, body);
  }
  for (const k of Object.keys(args))
    if (!paramNames.has(k) && k !== 'body') return fail(k, 'is not an argument of this tool');
  return withBody(op, parts, args.body !== undefined, args.body);
}

/** `.` and `..` as a path value would navigate: WHATWG URL parsers treat even `%2E%2E` as `..`. */
function isDotSegment(value: string): boolean {
  return value === '.' || value === '..';
}

/** The upstream path from the template: every value percent-encoded as one segment (a value can
 *  never add a segment or climb with `..`). */
export function upstreamPath(op: ApiOperation, parts: ApiRequestParts): string {
  const path = op.pathTemplate.replace(/\{([^{}]+)\}/g, (_m, name: string) => {
    const v = parts.path[name];
    const text = encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v));
    // Refused at parse time already; a second line of defence (a dot segment never leaves).
    if (isDotSegment(text)) throw new Error('api: dot segment in a path parameter');
    return text;
  });
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(parts.query)) {
    if (Array.isArray(v)) for (const item of v) query.append(k, scalarText(item));
    else query.append(k, scalarText(v));
  }
  const q = query.toString();
  return q === '' ? path : `${path}?${q}`;
}

function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
