// HTTP binding of RFC 8693 token exchange: POST /oauth/token (form-encoded, RFC 6749 §3.2),
// POST /oauth/revoke (RFC 7009: the holder of a task token ends its task) and
// GET /.well-known/jwks.json (airlock's task-token public keys). Errors use the RFC 6749 §5.2 body
// ({"error", "error_description"}) with a fixed, non-revealing description per code.
// The subject and actor are proven by their tokens alone, through the same authenticators as the
// pipeline; the connection's own credentials (client certificate, other headers) are never used.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../http/context.ts';
import { hasIdentity } from './principal.ts';
import type { OAuthErrorCode, TaskTokenService } from './task-token-service.ts';
import type { SigningKeyring } from './token-signing-keys.ts';
import type { Authenticator } from './types.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const TOKEN_TYPES = new Set([ACCESS_TOKEN_TYPE, JWT_TYPE]);
const TASK_RESOURCE = 'urn:airlock:task:';
/** Parameters that may repeat (RFC 8693 §2.1); every other one at most once (RFC 6749 §3.2). */
const REPEATABLE = new Set(['audience', 'resource']);
const FORM_BODY_LIMIT = 16 * 1024;

const DESCRIPTIONS: Record<OAuthErrorCode, string> = {
  invalid_request: 'The request is missing a parameter or is malformed.',
  invalid_grant: 'The subject or actor token is not acceptable.',
  invalid_scope: 'The requested scope is invalid or exceeds what the subject holds.',
  invalid_target: 'The requested audience or resource is not acceptable.',
  unsupported_grant_type: 'Only token exchange is supported.',
};

export interface TokenEndpointDeps {
  readonly service: TaskTokenService;
  /** Authenticators a subject or actor token may satisfy (API key, IdP JWT, task token). */
  readonly authenticators: readonly Authenticator[];
  readonly keyring: Pick<SigningKeyring, 'jwks'>;
  /** Verifies the token presented to /oauth/revoke (airlock's own task tokens only). */
  readonly taskTokens: Authenticator;
}

class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  constructor(error: OAuthErrorCode) {
    super(error);
    this.error = error;
  }
}

function sendError(reply: FastifyReply, error: OAuthErrorCode) {
  reply.code(400).header('cache-control', 'no-store').header('pragma', 'no-cache');
  return { error, error_description: DESCRIPTIONS[error] };
}

/** The raw body when it is application/x-www-form-urlencoded (RFC 6749 §3.2, RFC 7009 §2.1). */
function formBody(request: FastifyRequest): string | undefined {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  return type === 'application/x-www-form-urlencoded' && typeof request.body === 'string'
    ? request.body
    : undefined;
}

function parseForm(body: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(body)) {
    const list = params.get(k) ?? [];
    list.push(v);
    params.set(k, list);
  }
  for (const [k, list] of params)
    if (list.length > 1 && !REPEATABLE.has(k)) throw new OAuthError('invalid_request');
  return params;
}

async function prove(
  authenticators: readonly Authenticator[],
  token: string,
): Promise<Principal | undefined> {
  if (token.length === 0 || /\s/.test(token)) return undefined;
  const req = { headers: { authorization: `Bearer ${token}` }, surface: 'client' as const };
  for (const a of authenticators) {
    const r = await a.authenticate(req);
    if (r.kind === 'abstain') continue;
    return r.kind === 'authenticated' ? r.principal : undefined;
  }
  return undefined;
}

export function registerTokenEndpoint(app: FastifyInstance, deps: TokenEndpointDeps): void {
  app.register(async (scope) => {
    // Form bodies are parsed in this scope only; the rest of the listener stays JSON-only.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((err, _req, reply) => {
      // Unreadable bodies are the client's fault (RFC 6749 §5.2); anything else is ours and says nothing.
      const status =
        (err as { statusCode?: number }).statusCode ?? (err as { status?: number }).status ?? 500;
      if (status >= 400 && status < 500) return reply.send(sendError(reply, 'invalid_request'));
      return reply
        .code(status === 503 ? 503 : 500)
        .header('cache-control', 'no-store')
        .send({ error: 'server_error' });
    });

    scope.post('/oauth/token', async (request, reply) => {
      const body = formBody(request);
      if (body === undefined) return sendError(reply, 'invalid_request');
      try {
        const p = parseForm(body);
        const one = (k: string) => p.get(k)?.[0];
        const grant = one('grant_type');
        if (grant === undefined) throw new OAuthError('invalid_request');
        if (grant !== TOKEN_EXCHANGE_GRANT) throw new OAuthError('unsupported_grant_type');
        const subjectToken = one('subject_token');
        const subjectType = one('subject_token_type');
        if (!subjectToken || !subjectType || !TOKEN_TYPES.has(subjectType))
          throw new OAuthError('invalid_request');
        const actorToken = one('actor_token');
        const actorType = one('actor_token_type');
        if ((actorToken === undefined) !== (actorType === undefined)) throw new OAuthError('invalid_request');
        if (actorType !== undefined && !TOKEN_TYPES.has(actorType)) throw new OAuthError('invalid_request');
        const requestedType = one('requested_token_type');
        if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE)
          throw new OAuthError('invalid_target');

        let taskId = one('task_id');
        for (const r of p.get('resource') ?? []) {
          if (!r.startsWith(TASK_RESOURCE)) throw new OAuthError('invalid_target');
          const fromResource = r.slice(TASK_RESOURCE.length);
          if (taskId !== undefined && taskId !== fromResource) throw new OAuthError('invalid_request');
          taskId = fromResource;
        }
        if (taskId === undefined) throw new OAuthError('invalid_request');

        const scopeParam = one('scope');
        let scopeList: string[] | undefined;
        if (scopeParam !== undefined) {
          scopeList = [...new Set(scopeParam.split(' ').filter((s) => s !== ''))];
          if (scopeList.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/.test(s)) || scopeList.length > 256)
            throw new OAuthError('invalid_scope');
        }
        const expiresIn = one('expires_in');
        if (expiresIn !== undefined && !/^[1-9]\d{0,6}$/.test(expiresIn))
          throw new OAuthError('invalid_request');

        const subject = await prove(deps.authenticators, subjectToken);
        if (!subject) throw new OAuthError('invalid_grant');
        const actor = actorToken === undefined ? undefined : await prove(deps.authenticators, actorToken);
        if (actorToken !== undefined && !actor) throw new OAuthError('invalid_grant');

        const result = await deps.service.exchange({
          subject,
          ...(actor ? { actor } : {}),
          ...(scopeList ? { scope: scopeList } : {}),
          ...(p.has('audience') ? { audiences: p.get('audience')! } : {}),
          taskId,
          ...(expiresIn ? { lifetimeMs: Number(expiresIn) * 1000 } : {}),
        });
        if (result.kind === 'error') return sendError(reply, result.error);
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return {
          access_token: result.token,
          issued_token_type: ACCESS_TOKEN_TYPE,
          token_type: 'Bearer',
          expires_in: result.expiresIn,
          scope: result.scope.join(' '),
        };
      } catch (err) {
        if (err instanceof OAuthError) return sendError(reply, err.error);
        throw err;
      }
    });

    // RFC 7009 §2.1: a task token's holder ends its task. The token is the proof: airlock has no
    // registered OAuth clients (as at /oauth/token), so whoever may use the token may end it. Revoking
    // it revokes every token of its task (§2.1: "other tokens based on the same authorization grant"),
    // effective on their next use. Task ids are chosen by callers, so "its task" is the task of the
    // token's subject: another subject that picked the same task id keeps its tokens (no cross-tenant
    // revocation by guessing or reusing a task id). §2.2: an invalid, expired or foreign token also gets 200 — the
    // response says nothing about the token.
    scope.post('/oauth/revoke', async (request, reply) => {
      const body = formBody(request);
      if (body === undefined) return sendError(reply, 'invalid_request');
      try {
        const p = parseForm(body);
        const token = p.get('token')?.[0];
        if (!token) throw new OAuthError('invalid_request');
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        if (/\s/.test(token)) return {};
        const r = await deps.taskTokens.authenticate({
          headers: { authorization: `Bearer ${token}` },
          surface: 'client',
        });
        if (r.kind === 'authenticated' && hasIdentity(r.principal) && r.principal.identity.taskId)
          await deps.service.revokeHeldTask(
            r.principal.identity.taskId,
            r.principal.id,
            `${r.principal.id}/${r.principal.credentialId}`,
          );
        return {};
      } catch (err) {
        if (err instanceof OAuthError) return sendError(reply, err.error);
        throw err;
      }
    });

    scope.get('/.well-known/jwks.json', async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=60');
      return deps.keyring.jwks();
    });
  });
}
