// One error envelope per surface, built in one place from the catalogue.
// /v1: OpenAI's {"error": {message, type, param, code}}; /admin/v1: {"error": {code, message, requestId}}.
import { type AirlockError, errorCatalogue } from '../errors.ts';

export function openAiErrorBody(err: AirlockError, publicMessage?: string): Record<string, unknown> {
  const spec = errorCatalogue[err.code];
  return { error: { message: publicMessage ?? spec.message, type: spec.type, param: null, code: err.code } };
}

export function adminErrorBody(err: AirlockError, requestId: string): Record<string, unknown> {
  return { error: { code: err.code, message: errorCatalogue[err.code].message, requestId } };
}

/** Headers that go with an error: Retry-After for back-pressure (RFC 9110 §10.2.3). */
export function errorHeaders(err: AirlockError): Record<string, string> {
  return err.retryAfter !== undefined ? { 'retry-after': String(err.retryAfter) } : {};
}
