// An OpenAPI 3.0 / 3.1 document compiled once at start-up: every operation with its method, path
// template (matched segment by segment), parameters and JSON request body, each with a validator.
// A request is matched and validated here before policy sees it; what passes is rebuilt from the
// validated parts (the upstream path comes from the template, never from the client's raw path).
import { readFileSync } from 'node:fs';
import RE2 from 're2';
import { parse as parseYaml } from 'yaml';
import {
  compileSchema,
  inlineRefs,
  type JsonSchema,
  type RefResolver,
  SchemaCompileError,
  type Validator,
} from './json-schema.ts';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type ParameterLocation = 'path' | 'query' | 'header';

export interface ApiParameter {
  readonly name: string;
  readonly in: ParameterLocation;
  readonly required: boolean;
  readonly description?: string;
  /** Standalone (refs inlined) schema, for tool input schemas. */
  readonly schema: JsonSchema;
  readonly validate: Validator;
  /** The type strings arrive as (path, query, header values are text until coerced). */
  readonly type: string | undefined;
  readonly itemType: string | undefined;
  /** form, explode=false: `a,b,c` instead of repeated keys. */
  readonly commaSeparated: boolean;
}

export interface ApiRequestBody {
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
  readonly validate: Validator;
  /** Tool arguments hold the body's properties at the top level (no clash with a parameter name);
   *  otherwise the whole body is the `body` argument. */
  readonly flatten: boolean;
}

export interface ApiOperation {
  readonly service: string;
  readonly operationId: string;
  /** Upper case, as on the wire. */
  readonly method: string;
  readonly pathTemplate: string;
  readonly summary?: string;
  readonly description?: string;
  readonly parameters: readonly ApiParameter[];
  readonly body?: ApiRequestBody;
}

/** A request split into validated parts. */
export interface ApiRequestParts {
  readonly path: Record<string, unknown>;
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, unknown>;
  readonly body?: unknown;
}

export interface ApiMatch {
  readonly operation: ApiOperation;
  /** Raw (still percent-encoded) path parameter values. */
  readonly rawPath: Readonly<Record<string, string>>;
}

export interface CompiledApi {
  readonly service: string;
  readonly operations: readonly ApiOperation[];
  byId(operationId: string): ApiOperation | undefined;
  /** Method and path below /api/<service> (no query). Undefined when no operation matches. */
  match(method: string, path: string): ApiMatch | undefined;
}

/** A document that cannot be used: start-up stops with this one line. */
export class OpenApiError extends Error {}

/** Headers that are never an operation's parameter: airlock owns them (credentials, framing, tracing). */
const RESERVED_HEADER_PARAMS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'content-type',
  'content-length',
  'accept',
  'connection',
  'transfer-encoding',
  'x-api-key',
  'x-request-id',
  'traceparent',
  'tracestate',
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function readOpenApiFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new OpenApiError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new OpenApiError(
      `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
}

interface Segment {
  readonly literal?: string;
  readonly pattern?: RE2;
  readonly names: readonly string[];
}

function compileTemplate(template: string, where: string): Segment[] {
  if (!template.startsWith('/')) throw new OpenApiError(`${where}: a path must start with /`);
  return template
    .split('/')
    .slice(1)
    .map((part) => {
      if (!part.includes('{')) return { literal: part, names: [] };
      const names: string[] = [];
      let source = '^';
      let rest = part;
      for (let m = /\{([^{}]+)\}/.exec(rest); m; m = /\{([^{}]+)\}/.exec(rest)) {
        source += escapeRe(rest.slice(0, m.index));
        source += '([^/]+)';
        names.push(m[1]!);
        rest = rest.slice(m.index + m[0].length);
      }
      source += `${escapeRe(rest)}$`;
      return { pattern: new RE2(source, 'u'), names };
    });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function literalCount(segments: readonly Segment[]): number {
  return segments.filter((s) => s.literal !== undefined).length;
}

function schemaType(schema: JsonSchema): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null') as string | undefined;
  return undefined;
}

/** Compiles a parsed OpenAPI document for service `service`. `expose` lists operationIds that must
 *  exist (the MCP tools); a missing one stops start-up. */
export function compileOpenApi(
  doc: unknown,
  service: string,
  opts: { source?: string; expose?: readonly string[] } = {},
): CompiledApi {
  const where = opts.source ?? service;
  if (!isObject(doc)) throw new OpenApiError(`${where}: not an OpenAPI document (expected an object)`);
  const version = typeof doc.openapi === 'string' ? doc.openapi : '';
  if (!/^3\.[01]\.\d+/.test(version))
    throw new OpenApiError(
      `${where}: openapi version "${version || 'missing'}" is not supported (3.0.x or 3.1.x)`,
    );
  if (!isObject(doc.paths)) throw new OpenApiError(`${where}: has no paths`);

  const resolve: RefResolver = (ref) => {
    if (!ref.startsWith('#/'))
      throw new OpenApiError(
        `${where}: $ref "${ref}" is not local (only #/… references are supported; bundle the document)`,
      );
    let node: unknown = doc;
    for (const raw of ref.slice(2).split('/')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) ? node[key] : undefined;
    }
    if (!isObject(node) && typeof node !== 'boolean')
      throw new OpenApiError(`${where}: $ref "${ref}" points at nothing`);
    return node as JsonSchema;
  };
  const deref = (v: unknown): Record<string, unknown> => {
    let node = v;
    for (let i = 0; i < 16 && isObject(node) && typeof node.$ref === 'string'; i++) node = resolve(node.$ref);
    return isObject(node) ? node : {};
  };
  const compile = (schema: unknown, at: string): Validator => {
    try {
      return compileSchema(schema ?? {}, resolve);
    } catch (err) {
      if (err instanceof SchemaCompileError || err instanceof OpenApiError)
        throw new OpenApiError(`${where}: ${at}: ${err.message}`);
      throw err;
    }
  };

  const operations: ApiOperation[] = [];
  const routes: { segments: Segment[]; method: string; operation: ApiOperation }[] = [];
  const ids = new Map<string, string>();

  for (const [template, rawItem] of Object.entries(doc.paths)) {
    const item = deref(rawItem);
    const segments = compileTemplate(template, `${where}: paths.${template}`);
    const templateNames = new Set(segments.flatMap((s) => s.names));
    for (const method of HTTP_METHODS) {
      const rawOp = item[method];
      if (!isObject(rawOp)) continue;
      const at = `${method.toUpperCase()} ${template}`;
      const operationId =
        typeof rawOp.operationId === 'string' && rawOp.operationId !== '' ? rawOp.operationId : at;
      if (!/^[A-Za-z0-9_.\- /{}]+$/.test(operationId))
        throw new OpenApiError(
          `${where}: ${at}: operationId "${operationId}" has characters outside A-Z a-z 0-9 _ . -`,
        );
      const clash = ids.get(operationId);
      if (clash)
        throw new OpenApiError(`${where}: operationId "${operationId}" is used by both ${clash} and ${at}`);
      ids.set(operationId, at);

      // Operation-level parameters override path-level ones with the same name and location.
      const merged = new Map<string, Record<string, unknown>>();
      for (const list of [item.parameters, rawOp.parameters])
        if (Array.isArray(list))
          for (const p of list) {
            const param = deref(p);
            merged.set(`${String(param.in)}:${String(param.name)}`, param);
          }
      const parameters: ApiParameter[] = [];
      for (const p of merged.values()) {
        const name = typeof p.name === 'string' ? p.name : '';
        const location = p.in;
        if (location === 'cookie') continue; // never forwarded: airlock does not pass client cookies
        if (location !== 'path' && location !== 'query' && location !== 'header')
          throw new OpenApiError(
            `${where}: ${at}: parameter "${name}" has an unknown location "${String(location)}"`,
          );
        if (name === '') throw new OpenApiError(`${where}: ${at}: a parameter has no name`);
        if (location === 'header' && RESERVED_HEADER_PARAMS.has(name.toLowerCase())) continue;
        if (location === 'path' && !templateNames.has(name))
          throw new OpenApiError(`${where}: ${at}: path parameter "${name}" is not in the path template`);
        const rawSchema = isObject(p.schema) ? p.schema : {};
        const schema = inlineRefs(rawSchema, resolve) as JsonSchema;
        const items = isObject(schema.items) ? schema.items : {};
        parameters.push({
          name: location === 'header' ? name.toLowerCase() : name,
          in: location,
          required: location === 'path' || p.required === true,
          ...(typeof p.description === 'string' ? { description: p.description } : {}),
          schema,
          validate: compile(rawSchema, `parameter ${name}`),
          type: schemaType(schema),
          itemType: schemaType(items),
          commaSeparated: location !== 'query' || p.explode === false,
        });
      }
      for (const n of templateNames)
        if (!parameters.some((p) => p.in === 'path' && p.name === n))
          throw new OpenApiError(
            `${where}: ${at}: path template names {${n}} but no path parameter declares it`,
          );

      let body: ApiRequestBody | undefined;
      if (rawOp.requestBody !== undefined) {
        const rb = deref(rawOp.requestBody);
        const content = isObject(rb.content) ? rb.content : {};
        const jsonKey = Object.keys(content).find((k) => /^application\/([\w.+-]*\+)?json\b/.test(k));
        if (jsonKey === undefined)
          throw new OpenApiError(
            `${where}: ${at}: request body has no application/json content (only JSON bodies can be inspected)`,
          );
        const media = deref(content[jsonKey]);
        const rawSchema = isObject(media.schema) ? media.schema : {};
        const schema = inlineRefs(rawSchema, resolve) as JsonSchema;
        const props = isObject(schema.properties) ? Object.keys(schema.properties) : [];
        const flatten =
          schemaType(schema) === 'object' &&
          props.length > 0 &&
          !props.includes('body') &&
          !props.some((k) => parameters.some((p) => p.name === k));
        body = {
          required: rb.required === true,
          ...(typeof rb.description === 'string' ? { description: rb.description } : {}),
          schema,
          validate: compile(rawSchema, 'request body'),
          flatten,
        };
      }
      const operation: ApiOperation = {
        service,
        operationId,
        method: method.toUpperCase(),
        pathTemplate: template,
        ...(typeof rawOp.summary === 'string' ? { summary: rawOp.summary } : {}),
        ...(typeof rawOp.description === 'string' ? { description: rawOp.description } : {}),
        parameters,
        ...(body ? { body } : {}),
      };
      operations.push(operation);
      routes.push({ segments, method: operation.method, operation });
    }
  }
  for (const id of opts.expose ?? [])
    if (!ids.has(id) || ids.get(id) === id)
      throw new OpenApiError(
        `${where}: expose.mcpTools names "${id}", but no operation has that operationId (every exposed operation needs one)`,
      );
  // Concrete paths before templated ones (OpenAPI: /orders/mine matches before /orders/{id}).
  routes.sort((a, b) => literalCount(b.segments) - literalCount(a.segments));
  const byId = new Map(operations.map((o) => [o.operationId, o]));

  return {
    service,
    operations,
    byId: (id) => byId.get(id),
    match(method, path) {
      const upper = method.toUpperCase();
      const parts = path.split('/').slice(1);
      for (const route of routes) {
        if (route.method !== upper || route.segments.length !== parts.length) continue;
        const raw: Record<string, string> = {};
        let ok = true;
        for (let i = 0; i < parts.length && ok; i++) {
          const seg = route.segments[i]!;
          const part = parts[i]!;
          if (seg.literal !== undefined) {
            ok = seg.literal === part;
            continue;
          }
          const m = seg.pattern!.exec(part);
          if (!m) ok = false;
          else
            seg.names.forEach((n, k) => {
              raw[n] = m[k + 1]!;
            });
        }
        if (ok) return { operation: route.operation, rawPath: raw };
      }
      return undefined;
    },
  };
}
