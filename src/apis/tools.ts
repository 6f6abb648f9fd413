// Chosen operations as MCP tools (P10): `<service>__<operationId>`, described by the operation's
// summary and description, with one JSON Schema (2020-12) input merged from its parameters and
// JSON body — the same flat arguments the /api surface hands policy as `context.arguments`, so one
// policy governs the REST call and the agent's tool call. The MCP plane authorises, inspects and
// records the tools/call; callOperation validates the arguments again and forwards.
import { randomBytes } from 'node:crypto';
import { AirlockError } from '../errors.ts';
import type { McpUpstream, ToolResult, UpstreamTool } from '../mcp/types.ts';
import type { JsonSchema } from './json-schema.ts';
import type { ApiOperation } from './openapi.ts';
import { parseToolArguments, upstreamPath } from './request.ts';
import type { ApiService, ApiServices } from './service.ts';

export const TOOL_SEPARATOR = '__';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** OpenAPI 3.0 dialect → JSON Schema 2020-12: `nullable` becomes a `null` type, boolean
 *  exclusive bounds become numbers, and OpenAPI-only annotations are dropped. */
export function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'nullable' || k === 'discriminator' || k === 'xml' || k === 'externalDocs' || k === 'example')
      continue;
    if (k.startsWith('x-')) continue;
    if (k === 'properties' && isObject(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, toJsonSchema(s)]));
      continue;
    }
    if (k === 'exclusiveMinimum' || k === 'exclusiveMaximum') {
      if (v === true) out[k] = schema[k === 'exclusiveMinimum' ? 'minimum' : 'maximum'];
      else if (typeof v === 'number') out[k] = v;
      continue;
    }
    out[k] = typeof v === 'object' ? toJsonSchema(v) : v;
  }
  if (schema.exclusiveMinimum === true) delete out.minimum;
  if (schema.exclusiveMaximum === true) delete out.maximum;
  if (schema.nullable === true && typeof schema.type === 'string') out.type = [schema.type, 'null'];
  return out;
}

/** The tool's input schema: one object whose properties are the parameters and the body. */
export function operationInputSchema(op: ApiOperation): JsonSchema {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of op.parameters) {
    const schema = toJsonSchema(p.schema) as Record<string, unknown>;
    properties[p.name] =
      p.description && schema.description === undefined ? { ...schema, description: p.description } : schema;
    if (p.required) required.push(p.name);
  }
  let closed = true;
  if (op.body) {
    const body = toJsonSchema(op.body.schema) as Record<string, unknown>;
    if (op.body.flatten && isObject(body.properties)) {
      Object.assign(properties, body.properties);
      if (op.body.required && Array.isArray(body.required)) required.push(...(body.required as string[]));
      closed = body.additionalProperties === false;
    } else {
      properties.body =
        op.body.description && body.description === undefined
          ? { ...body, description: op.body.description }
          : body;
      if (op.body.required) required.push('body');
    }
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(closed ? { additionalProperties: false } : {}),
  };
}

export function toolName(op: ApiOperation): string {
  return `${op.service}${TOOL_SEPARATOR}${op.operationId}`;
}

/** The exposed operations of `service` as MCP tool definitions. */
export function openApiOperationsAsTools(service: ApiService): UpstreamTool[] {
  return service.config.expose.mcpTools.map((id) => {
    const op = service.api.byId(id)!;
    const description = [op.summary, op.description].filter((s) => s !== undefined && s !== '').join('\n\n');
    return {
      name: toolName(op),
      ...(description ? { description } : { description: `${op.method} ${op.pathTemplate}` }),
      inputSchema: operationInputSchema(op),
    };
  });
}

export interface CallOperationOptions {
  readonly signal: AbortSignal;
  readonly requestId?: string;
  /** W3C traceparent of the calling span; a fresh one when absent. */
  readonly traceparent?: string;
}

function textResult(text: string, isError: boolean, structured?: unknown): ToolResult {
  return {
    content: [{ type: 'text', text }],
    ...(isObject(structured) ? { structuredContent: structured } : {}),
    isError,
  };
}

/** Calls `<service>__<operationId>` (an exposed operation) with tool arguments. Invalid arguments
 *  and the service's 4xx answers are tool errors (isError: true); transport failures throw. */
export async function callOperation(
  services: ApiServices,
  name: string,
  args: Readonly<Record<string, unknown>>,
  opts: CallOperationOptions,
): Promise<ToolResult> {
  const at = name.indexOf(TOOL_SEPARATOR);
  const service = at > 0 ? services.get(name.slice(0, at)) : undefined;
  const operationId = at > 0 ? name.slice(at + TOOL_SEPARATOR.length) : '';
  if (!service?.config.expose.mcpTools.includes(operationId)) throw new AirlockError('tool_not_found');
  const op = service.api.byId(operationId)!;
  const parsed = parseToolArguments(op, args);
  if (!parsed.ok)
    return textResult(`Invalid arguments: ${parsed.problem.parameter} ${parsed.problem.message}.`, true);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.parts.headers))
    headers[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const res = await service.upstream.call({
    method: op.method,
    path: upstreamPath(op, parsed.parts),
    headers,
    body: parsed.parts.body,
    requestId: opts.requestId ?? `req_${randomBytes(12).toString('hex')}`,
    traceparent:
      opts.traceparent ?? `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`,
    signal: opts.signal,
  });
  let structured: unknown;
  if (/json/i.test(res.contentType) && res.text !== '') {
    try {
      structured = JSON.parse(res.text);
    } catch {
      structured = undefined;
    }
  }
  return textResult(res.text === '' ? `HTTP ${res.status}` : res.text, res.status >= 400, structured);
}

/** One service's exposed operations as an MCP upstream the MCP catalog can aggregate like any
 *  server (tools named `<service>__<operationId>` there, `<operationId>` here). */
export function createApiToolUpstream(services: ApiServices, serviceName: string): McpUpstream {
  const service = services.get(serviceName);
  if (!service) throw new AirlockError('config_invalid', { detail: `no api service "${serviceName}"` });
  let state: ReturnType<McpUpstream['state']> = 'starting';
  const tools = openApiOperationsAsTools(service).map((t) => ({
    ...t,
    name: t.name.slice(serviceName.length + TOOL_SEPARATOR.length),
  }));
  return {
    name: serviceName,
    transport: 'http',
    state: () => state,
    async start() {
      state = 'ready';
    },
    async listTools() {
      return tools.map((t) => ({ ...t }));
    },
    callTool(tool, args, signal) {
      return callOperation(services, `${serviceName}${TOOL_SEPARATOR}${tool}`, args, { signal });
    },
    onToolsChanged() {
      // The document is compiled once at start-up: the tool list never changes while running.
    },
    async close() {
      state = 'stopped';
    },
  };
}
