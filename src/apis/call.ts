// What one /api request carries beside the shared RequestContext: the matched operation, the
// validated parts and the flat argument object (policy context and audit hash input). Kept in a
// WeakMap keyed by the context so RequestContext stays the same for every surface.
import type { RequestContext } from '../http/context.ts';
import type { ApiMatch, ApiOperation, ApiRequestParts } from './openapi.ts';
import type { ApiService } from './service.ts';

export interface ApiCall {
  readonly service: ApiService;
  readonly operation: ApiOperation;
  parts: ApiRequestParts;
  /** Flat arguments (`argumentsOf`): what policies see as `context.arguments`. */
  arguments: Record<string, unknown>;
}

/** The HTTP request as received, with the operation it matched (if any); resolve validates it. */
export interface ApiRawRequest {
  readonly service: ApiService | undefined;
  readonly match: ApiMatch | undefined;
  /** The raw query string (without `?`). */
  readonly query: string;
  readonly body: unknown;
  readonly hasBody: boolean;
}

const calls = new WeakMap<RequestContext, ApiCall>();
const raws = new WeakMap<RequestContext, ApiRawRequest>();

export function apiCallOf(ctx: RequestContext): ApiCall | undefined {
  return calls.get(ctx);
}

export function setApiCall(ctx: RequestContext, call: ApiCall): void {
  calls.set(ctx, call);
}

export function rawApiRequestOf(ctx: RequestContext): ApiRawRequest | undefined {
  return raws.get(ctx);
}

export function setRawApiRequest(ctx: RequestContext, raw: ApiRawRequest): void {
  raws.set(ctx, raw);
}

/** `api.<service>.<operationId>`: the audit entry's operation for an API call. */
export function apiOperationName(service: string, operationId: string): string {
  return `api.${service}.${operationId}`;
}
