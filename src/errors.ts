// The one catalogue of errors. Each code is stable: clients, dashboards and docs/errors.md rely on it.
// `expose: false` codes never reach a client verbatim; the edge maps them to `internal_error`.
// A test (errors.test.ts) keeps this table and docs/errors.md in sync both ways.

export interface ErrorSpec {
  readonly status: number;
  /** OpenAI-style error type for the /v1 envelope. */
  readonly type: string;
  /** Safe public message. Never interpolate secrets, bodies or internal addresses into it. */
  readonly message: string;
  readonly expose: boolean;
}

export const errorCatalogue = {
  // receive
  body_too_large: {
    status: 413,
    type: 'invalid_request_error',
    message: 'Request body exceeds the configured limit.',
    expose: true,
  },
  headers_too_large: {
    status: 431,
    type: 'invalid_request_error',
    message: 'Request headers exceed the configured limit.',
    expose: true,
  },
  invalid_json: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Request body is not valid JSON.',
    expose: true,
  },
  unsupported_media_type: {
    status: 415,
    type: 'invalid_request_error',
    message: 'Content-Type must be application/json.',
    expose: true,
  },
  invalid_request: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Request parameters are invalid.',
    expose: true,
  },
  request_timeout: {
    status: 408,
    type: 'invalid_request_error',
    message: 'The request was not received in time.',
    expose: true,
  },
  not_found: { status: 404, type: 'invalid_request_error', message: 'No such endpoint.', expose: true },
  method_not_allowed: {
    status: 405,
    type: 'invalid_request_error',
    message: 'Method not allowed on this endpoint.',
    expose: true,
  },
  client_closed: {
    status: 499,
    type: 'invalid_request_error',
    message: 'The client closed the connection before the response completed.',
    expose: true,
  },
  gateway_overloaded: {
    status: 503,
    type: 'server_error',
    message: 'The gateway is at its concurrency limit; retry later.',
    expose: true,
  },
  // authenticate
  missing_credentials: {
    status: 401,
    type: 'authentication_error',
    message: 'No credentials were presented.',
    expose: true,
  },
  invalid_api_key: {
    status: 401,
    type: 'authentication_error',
    message: 'The API key is not valid.',
    expose: true,
  },
  expired_api_key: {
    status: 401,
    type: 'authentication_error',
    message: 'The API key has expired.',
    expose: true,
  },
  revoked_api_key: {
    status: 401,
    type: 'authentication_error',
    message: 'The API key has been revoked.',
    expose: true,
  },
  invalid_token: {
    status: 401,
    type: 'authentication_error',
    message: 'The token is not valid.',
    expose: true,
  },
  expired_token: {
    status: 401,
    type: 'authentication_error',
    message: 'The token has expired.',
    expose: true,
  },
  revoked_token: {
    status: 401,
    type: 'authentication_error',
    message: 'The token has been revoked.',
    expose: true,
  },
  invalid_client_certificate: {
    status: 401,
    type: 'authentication_error',
    message: 'The client certificate is not accepted.',
    expose: true,
  },
  // resolve
  model_not_found: {
    status: 404,
    type: 'invalid_request_error',
    message: 'The model does not exist or you do not have access to it.',
    expose: true,
  },
  endpoint_not_supported: {
    status: 400,
    type: 'invalid_request_error',
    message: 'The model does not support this endpoint.',
    expose: true,
  },
  // authorize
  forbidden: {
    status: 403,
    type: 'permission_error',
    message: 'The credential is not allowed to perform this action.',
    expose: true,
  },
  approval_required: {
    status: 403,
    type: 'permission_error',
    message: 'This action needs an approval first.',
    expose: true,
  },
  approval_invalid: {
    status: 403,
    type: 'permission_error',
    message: 'The approval is unknown, not yet granted, expired, already used, or not for this request.',
    expose: true,
  },
  approval_not_found: {
    status: 404,
    type: 'invalid_request_error',
    message: 'No such approval, grant or change.',
    expose: true,
  },
  self_approval_refused: {
    status: 403,
    type: 'permission_error',
    message: 'A different person must approve or review this (two-person rule).',
    expose: true,
  },
  break_glass_refused: {
    status: 403,
    type: 'permission_error',
    message:
      'Break-glass refused: it needs the break-glass role, a fresh second-factor code and a written reason.',
    expose: true,
  },
  break_glass_expired: {
    status: 403,
    type: 'permission_error',
    message: 'The break-glass grant is closed or expired.',
    expose: true,
  },
  step_up_required: {
    status: 401,
    type: 'authentication_error',
    message: 'This action needs a fresh second factor (step-up).',
    expose: true,
  },
  policy_unavailable: {
    status: 503,
    type: 'server_error',
    message: 'The policy engine is unavailable; requests are refused until it recovers.',
    expose: true,
  },
  // quota
  rate_limited: {
    status: 429,
    type: 'rate_limit_error',
    message: 'Request rate limit exceeded; retry later.',
    expose: true,
  },
  token_budget_exceeded: {
    status: 429,
    type: 'rate_limit_error',
    message: 'Token budget exhausted; retry later.',
    expose: true,
  },
  concurrency_limited: {
    status: 429,
    type: 'rate_limit_error',
    message: 'Too many concurrent requests for this credential.',
    expose: true,
  },
  // forward
  upstream_unavailable: {
    status: 502,
    type: 'server_error',
    message: 'No upstream for this model is available.',
    expose: true,
  },
  upstream_error: {
    status: 502,
    type: 'server_error',
    message: 'The upstream returned an error.',
    expose: true,
  },
  upstream_timeout: {
    status: 504,
    type: 'server_error',
    message: 'The upstream did not answer in time.',
    expose: true,
  },
  upstream_stream_interrupted: {
    status: 502,
    type: 'server_error',
    message: 'The upstream stream ended unexpectedly.',
    expose: true,
  },
  // egress (P1)
  egress_denied: {
    status: 502,
    type: 'server_error',
    message: 'Outbound connection refused by the egress policy.',
    expose: true,
  },
  egress_not_allowed: {
    status: 400,
    type: 'invalid_request_error',
    message:
      'A proposed config names an upstream address the running egress policy does not allow; the egress allowlist changes only with a restart.',
    expose: true,
  },
  // evidence (P9): fail closed when the audit log cannot be written
  audit_unavailable: {
    status: 503,
    type: 'server_error',
    message: 'The audit log is unavailable; requests are refused until it recovers.',
    expose: true,
  },
  // inspect (P6)
  dlp_blocked: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Request blocked: it contains sensitive data.',
    expose: true,
  },
  // mcp (issue 8)
  api_operation_not_found: {
    status: 404,
    type: 'invalid_request_error',
    message: 'No such API operation, or you do not have access to it.',
    expose: true,
  },
  tool_not_found: {
    status: 404,
    type: 'invalid_request_error',
    message: 'Unknown tool or you do not have access to it.',
    expose: true,
  },
  mcp_method_not_found: {
    status: 404,
    type: 'invalid_request_error',
    message: 'Method not found.',
    expose: true,
  },
  mcp_content_not_found: {
    status: 404,
    type: 'invalid_request_error',
    message: 'Unknown prompt or resource, or you do not have access to it.',
    expose: true,
  },
  mcp_session_not_found: {
    status: 404,
    type: 'invalid_request_error',
    message: 'Unknown or expired MCP session; initialize a new one.',
    expose: true,
  },
  origin_not_allowed: {
    status: 403,
    type: 'permission_error',
    message: 'Origin or Host is not allowed (DNS rebinding protection).',
    expose: true,
  },
  unsupported_protocol_version: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Unsupported MCP protocol version.',
    expose: true,
  },
  mcp_invalid_params: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Invalid MCP request parameters.',
    expose: true,
  },
  mcp_header_mismatch: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Mcp-Method or Mcp-Name header does not match the message.',
    expose: true,
  },
  token_in_query: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Credentials are not accepted in the query string; use the Authorization header.',
    expose: true,
  },
  // admin
  admin_forbidden: {
    status: 403,
    type: 'permission_error',
    message: 'Admin credentials are required.',
    expose: true,
  },
  conflict: {
    status: 409,
    type: 'invalid_request_error',
    message: 'The object already exists or was changed concurrently.',
    expose: true,
  },
  ttl_too_long: {
    status: 400,
    type: 'invalid_request_error',
    message: 'The requested lifetime exceeds the configured maximum.',
    expose: true,
  },
  // secrets (P5) and local users (P2)
  vault_unavailable: {
    status: 503,
    type: 'server_error',
    message: 'The secret vault is unavailable.',
    expose: true,
  },
  secret_not_found: { status: 404, type: 'invalid_request_error', message: 'No such secret.', expose: false },
  invalid_credentials: {
    status: 401,
    type: 'authentication_error',
    message: 'Invalid credentials.',
    expose: true,
  },
  login_locked: {
    status: 429,
    type: 'rate_limit_error',
    message: 'Too many failed logins; retry later.',
    expose: true,
  },
  mfa_enrollment_required: {
    status: 403,
    type: 'permission_error',
    message: 'Enrol TOTP first.',
    expose: true,
  },
  invalid_session: {
    status: 401,
    type: 'authentication_error',
    message: 'Session invalid or expired.',
    expose: true,
  },
  csrf_failed: {
    status: 403,
    type: 'permission_error',
    message: 'Missing or invalid CSRF token.',
    expose: true,
  },
  // custody (P7): only approved model artefacts are imported, loaded and routed to
  model_import_refused: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Model import refused.',
    expose: false,
  },
  model_signature_malformed: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Model signature bundle is malformed or unsupported.',
    expose: false,
  },
  model_signature_untrusted: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Model signature does not verify against the pinned trust.',
    expose: false,
  },
  model_files_mismatch: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Model files do not match the signed statement.',
    expose: false,
  },
  model_not_approved: {
    status: 503,
    type: 'server_error',
    message: 'The model is not approved for serving.',
    expose: true,
  },
  model_integrity_failed: {
    status: 500,
    type: 'server_error',
    message: 'Model artefact failed verification.',
    expose: false,
  },
  model_transition_refused: {
    status: 409,
    type: 'invalid_request_error',
    message: 'Model state change refused: the version, alias or state does not allow it.',
    expose: true,
  },
  model_two_person_required: {
    status: 403,
    type: 'permission_error',
    message:
      'Approving, activating and rolling back models needs two admins: propose it through the admin API and have a different admin approve it.',
    expose: true,
  },
  // config and start-up (CLI only)
  config_invalid: {
    status: 500,
    type: 'server_error',
    message: 'The configuration is invalid.',
    expose: false,
  },
  store_unavailable: {
    status: 503,
    type: 'server_error',
    message: 'The store is unavailable.',
    expose: true,
  },
  internal_error: { status: 500, type: 'server_error', message: 'Internal error.', expose: true },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;

/** The only error type stages throw on purpose. Branch on `code`, never on `message`. */
export class AirlockError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Internal detail for logs (already redacted by the thrower); never sent to a client. */
  readonly detail: string | undefined;
  /** Seconds for Retry-After on 429/503. */
  readonly retryAfter: number | undefined;
  /** Safe, specific addition to the public message (finding types, a parameter name) — never a
   *  value, an address or a secret. */
  readonly publicDetail: string | undefined;

  constructor(
    code: ErrorCode,
    opts: { detail?: string; retryAfter?: number; cause?: unknown; publicDetail?: string } = {},
  ) {
    super(errorCatalogue[code].message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AirlockError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.detail = opts.detail;
    this.retryAfter = opts.retryAfter;
    this.publicDetail = opts.publicDetail;
  }
}

/** Unknown exceptions become a generic 500 that leaks nothing. */
export function toAirlockError(err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  return new AirlockError('internal_error', { cause: err });
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(errorCatalogue, value);
}
