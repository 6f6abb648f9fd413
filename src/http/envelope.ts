// One error envelope per surface, built in one place from the catalogue.
// /v1: OpenAI's {"error": {message, type, param, code}}; /admin/v1: {"error": {code, message, requestId}}.
import { type AirlockError, errorCatalogue } from '../errors.ts';
import { UpstreamError } from '../inference/upstream-error.ts';

export function openAiErrorBody(err: AirlockError, publicMessage?: string): Record<string, unknown> {
  // An upstream's own 4xx (bad parameter for that model …) reaches the client with the upstream's
  // message, already scrubbed of addresses, paths and credentials by the adapter.
  if (err instanceof UpstreamError && err.clientError) {
    const c = err.clientError;
    return {
      error: {
        message: c.message,
        type: c.type ?? 'invalid_request_error',
        param: c.param ?? null,
        code: err.code,
      },
    };
  }
  const spec = errorCatalogue[err.code];
  const message = publicMessage ?? (err.publicDetail ? `${spec.message} ${err.publicDetail}` : spec.message);
  return { error: { message, type: spec.type, param: null, code: err.code } };
}

/** The HTTP status a client sees: an upstream's 4xx keeps its status; everything else the catalogue's. */
export function publicStatus(err: AirlockError): number {
  return err instanceof UpstreamError && err.clientError ? err.clientError.status : err.status;
}

export function adminErrorBody(err: AirlockError, requestId: string): Record<string, unknown> {
  const spec = errorCatalogue[err.code];
  // publicDetail is the safe, specific addition (how to step up, which approval is pending).
  const message = err.publicDetail ? `${spec.message} ${err.publicDetail}` : spec.message;
  return { error: { code: err.code, message, requestId } };
}

/** Headers that go with an error: Retry-After for back-pressure (RFC 9110 §10.2.3). */
export function errorHeaders(err: AirlockError): Record<string, string> {
  return err.retryAfter !== undefined ? { 'retry-after': String(err.retryAfter) } : {};
}
