// JSON-RPC 2.0 on /mcp: message classification and the one error envelope of this surface. Every
// airlock error code maps to a stable JSON-RPC code, and `error.data.code` carries the catalogue
// code itself, so clients branch on stable values, never on messages. Errors about the HTTP exchange
// (credentials, Origin/Host, session, malformed messages) keep their HTTP status; errors about a
// method (unknown tool, DLP block, upstream failure) travel as HTTP 200 with a JSON-RPC error, as
// MCP clients expect.
import { type AirlockError, type ErrorCode, errorCatalogue } from '../errors.ts';

export type JsonRpcId = string | number;

export type Classified =
  | {
      readonly kind: 'request';
      readonly id: JsonRpcId;
      readonly method: string;
      readonly params: Record<string, unknown>;
    }
  | { readonly kind: 'notification'; readonly method: string; readonly params: Record<string, unknown> }
  | { readonly kind: 'response'; readonly id: JsonRpcId }
  | { readonly kind: 'invalid'; readonly id: JsonRpcId | null; readonly reason: string };

export const RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** Implementation-defined server errors (-32000 … -32099). */
  serverError: -32000,
  unauthenticated: -32001,
  upstream: -32002,
  forbidden: -32003,
  notFound: -32004,
  /** 2026-07-28 Streamable HTTP: routing headers disagree with the body. */
  headerMismatch: -32020,
  /** 2026-07-28: the requested protocol revision is not supported (data: supported, requested). */
  unsupportedVersion: -32022,
  blocked: -32010,
  rateLimited: -32029,
  /** MCP 2025-11-25 URLElicitationRequiredError: the user must complete a URL-mode elicitation. */
  urlElicitationRequired: -32042,
  unavailable: -32050,
} as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const validId = (v: unknown): v is JsonRpcId =>
  (typeof v === 'string' && v.length <= 256) || (typeof v === 'number' && Number.isFinite(v));

export function classify(msg: unknown): Classified {
  if (Array.isArray(msg))
    return { kind: 'invalid', id: null, reason: 'batches are not supported (removed in 2025-06-18)' };
  if (!isObject(msg)) return { kind: 'invalid', id: null, reason: 'a JSON-RPC message is an object' };
  const id = validId(msg.id) ? msg.id : null;
  if (msg.jsonrpc !== '2.0') return { kind: 'invalid', id, reason: 'jsonrpc must be "2.0"' };
  if (typeof msg.method === 'string') {
    if (msg.method.length === 0 || msg.method.length > 128)
      return { kind: 'invalid', id, reason: 'method must be 1-128 characters' };
    if (msg.params !== undefined && !isObject(msg.params))
      return { kind: 'invalid', id, reason: 'params must be an object' };
    const params = (msg.params as Record<string, unknown> | undefined) ?? {};
    if (!('id' in msg)) return { kind: 'notification', method: msg.method, params };
    if (id === null) return { kind: 'invalid', id: null, reason: 'id must be a string or a number' };
    return { kind: 'request', id, method: msg.method, params };
  }
  if (id !== null && ('result' in msg || 'error' in msg)) return { kind: 'response', id };
  return { kind: 'invalid', id, reason: 'not a request, notification or response' };
}

const RPC_CODE: Partial<Record<ErrorCode, number>> = {
  invalid_json: RPC.parseError,
  invalid_request: RPC.invalidRequest,
  mcp_header_mismatch: RPC.headerMismatch,
  unsupported_protocol_version: RPC.unsupportedVersion,
  mcp_invalid_params: RPC.invalidParams,
  token_in_query: RPC.invalidRequest,
  body_too_large: RPC.invalidRequest,
  unsupported_media_type: RPC.invalidRequest,
  method_not_allowed: RPC.invalidRequest,
  mcp_method_not_found: RPC.methodNotFound,
  tool_not_found: RPC.invalidParams,
  mcp_content_not_found: RPC.invalidParams,
  mcp_session_not_found: RPC.notFound,
  origin_not_allowed: RPC.forbidden,
  forbidden: RPC.forbidden,
  approval_required: RPC.forbidden,
  dlp_blocked: RPC.blocked,
  rate_limited: RPC.rateLimited,
  concurrency_limited: RPC.rateLimited,
  gateway_overloaded: RPC.unavailable,
  audit_unavailable: RPC.unavailable,
  policy_unavailable: RPC.unavailable,
  upstream_unavailable: RPC.upstream,
  upstream_error: RPC.upstream,
  upstream_timeout: RPC.upstream,
  egress_denied: RPC.upstream,
  internal_error: RPC.internalError,
};

/** HTTP statuses that describe the exchange itself; everything else answers 200 + JSON-RPC error. */
const TRANSPORT_STATUS = new Set([400, 401, 403, 404, 405, 413, 415]);
const TRANSPORT_CODES = new Set<ErrorCode>([
  'invalid_json',
  'invalid_request',
  'mcp_header_mismatch',
  'unsupported_protocol_version',
  'mcp_invalid_params',
  'token_in_query',
  'body_too_large',
  'unsupported_media_type',
  'method_not_allowed',
  'mcp_session_not_found',
  'origin_not_allowed',
]);

export function httpStatusFor(err: AirlockError, modern = false): number {
  // step_up_required is 401 on REST, but on /mcp the credential is valid: a JSON-RPC error on 200, so
  // a client does not mistake it for a bad token and restart its authorization flow.
  if (err.status === 401 && err.code !== 'step_up_required') return 401;
  // 2026-07-28 Streamable HTTP: an unknown or removed method is HTTP 404 with -32601.
  if (modern && err.code === 'mcp_method_not_found') return 404;
  return TRANSPORT_CODES.has(err.code) && TRANSPORT_STATUS.has(err.status) ? err.status : 200;
}

export function rpcCodeFor(err: AirlockError): number {
  const mapped = RPC_CODE[err.code];
  if (mapped !== undefined) return mapped;
  if (err.status === 401) return RPC.unauthenticated;
  if (err.status === 403) return RPC.forbidden;
  if (err.status === 429) return RPC.rateLimited;
  return err.status >= 500 ? RPC.serverError : RPC.invalidRequest;
}

export function rpcError(
  id: JsonRpcId | null,
  err: AirlockError,
  extra: { requestId?: string; message?: string; data?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const spec = errorCatalogue[err.code];
  const code = spec.expose ? err.code : 'internal_error';
  const message =
    extra.message ??
    (spec.expose
      ? err.publicDetail
        ? `${spec.message} ${err.publicDetail}`
        : spec.message
      : 'Internal error.');
  // An error that carries its own JSON-RPC shape (URLElicitationRequiredError, -32042) keeps it.
  const own = spec.expose ? (err as Partial<RpcShapedError>).rpc : undefined;
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: own ? own.code : spec.expose ? rpcCodeFor(err) : RPC.internalError,
      message,
      data: {
        ...extra.data,
        ...own?.data,
        code,
        ...(extra.requestId ? { requestId: extra.requestId } : {}),
      },
    },
  };
}

/** An AirlockError that answers with its own JSON-RPC code and extra `data` fields (safe values only). */
export interface RpcShapedError {
  readonly rpc: { readonly code: number; readonly data: Readonly<Record<string, unknown>> };
}

export function rpcResult(id: JsonRpcId, result: unknown): Record<string, unknown> {
  return { jsonrpc: '2.0', id, result };
}
