// Just-in-time task tokens (P8): RFC 8693 token exchange turns a caller's own credential into a
// short-lived JWT for one task, narrowed to a subset of the caller's scopes, signed with airlock's
// rotating Ed25519 key, carrying the delegation chain in `act` (RFC 8693 §4.1). The HTTP binding is
// token-endpoint.ts; verification on use is task-token-authenticator.ts.
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import type { Principal } from '../http/context.ts';
import { type Actor, actorDepth, hasIdentity, scopeCovers, scopesOfPrincipal } from './principal.ts';
import type { RevocationStore } from './revocation-store.ts';
import type { SigningKeyring } from './token-signing-keys.ts';

export const TASK_TOKEN_TYP = 'at+jwt'; // RFC 9068 JWT access token
/** Clock skew tolerated for airlock's own task tokens; revocations outlive the longest token by this. */
export const TASK_TOKEN_SKEW_MS = 60_000;

/** Until when a revocation made at `now` must hold: no token it can match outlives this. */
export function revocationUntil(now: number, maxLifetimeMs: number, skewMs = TASK_TOKEN_SKEW_MS): Date {
  return new Date(now + maxLifetimeMs + skewMs);
}
export const TASK_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The revocation id of one subject's task, as its holder ends it (RFC 7009 /oauth/revoke). Task
 *  ids are chosen by callers and shared by nobody, so a holder ends only the tokens of its own
 *  subject: `<taskId>@<sub>` (a task id never holds '@', so the id names one pair). An admin ends a
 *  task id for every subject (the plain task id). */
export function heldTaskId(taskId: string, sub: string): string {
  return `${taskId}@${sub}`;
}

/** True when the task is ended, by an admin (for everyone) or by a holder of `sub`'s tokens. */
export async function isTaskRevoked(
  revocations: Pick<RevocationStore, 'isRevoked'>,
  ref: { readonly taskId: string; readonly sub: string; readonly jti?: string },
  at: Date,
): Promise<boolean> {
  const [admin, held] = await Promise.all([
    revocations.isRevoked({ taskId: ref.taskId, ...(ref.jti !== undefined ? { jti: ref.jti } : {}) }, at),
    revocations.isRevoked({ taskId: heldTaskId(ref.taskId, ref.sub) }, at),
  ]);
  return admin || held;
}

/** RFC 6749 §5.2 / RFC 8693 §2.2.2 error codes. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_grant_type';

export interface TaskTokenServiceConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly maxLifetimeMs: number;
  readonly requireScope: boolean;
  readonly maxDelegationDepth: number;
  /** Clock skew the authenticator tolerates; revocations outlive tokens by this much. */
  readonly skewMs: number;
}

export type TaskTokenEvent =
  | {
      readonly type: 'task_token.issued';
      readonly jti: string;
      readonly taskId: string;
      readonly sub: string;
      readonly subjectCredentialId: string;
      readonly actor: string | null;
      readonly act: Actor | null;
      readonly scope: readonly string[];
      readonly expiresAt: string;
    }
  | {
      readonly type: 'task_token.refused';
      readonly error: OAuthErrorCode;
      readonly reason: string;
      readonly sub: string | null;
      readonly taskId: string | null;
    }
  | {
      readonly type: 'task_token.revoked';
      readonly taskId?: string;
      /** Set when a holder ended its own subject's task (RFC 7009), not the task for everyone. */
      readonly sub?: string;
      readonly jti?: string;
      readonly actor: string;
    };

export interface TaskTokenServiceDeps {
  readonly keyring: Pick<SigningKeyring, 'current'>;
  readonly revocations: RevocationStore;
  readonly now?: () => number;
  /** Audit hook; awaited, so an audit failure fails the exchange (no unrecorded credential). */
  readonly onEvent?: (event: TaskTokenEvent) => void | Promise<void>;
}

export interface ExchangeInput {
  readonly subject: Principal;
  readonly actor?: Principal;
  /** Requested scopes; undefined when the request named none. */
  readonly scope?: readonly string[];
  /** Requested audiences (`audience` parameters); each must be this gateway. */
  readonly audiences?: readonly string[];
  readonly taskId: string;
  readonly lifetimeMs?: number;
}

export type ExchangeResult =
  | {
      readonly kind: 'issued';
      readonly token: string;
      readonly jti: string;
      readonly expiresIn: number;
      readonly scope: readonly string[];
    }
  | { readonly kind: 'error'; readonly error: OAuthErrorCode; readonly reason: string };

export interface TaskTokenService {
  exchange(input: ExchangeInput): Promise<ExchangeResult>;
  /** Revokes every token of the task and refuses further exchanges for it until they would all have expired. */
  revokeTask(taskId: string, actor: string): Promise<void>;
  /** A holder ends its task (RFC 7009): every token of this subject for the task, and further
   *  exchanges of this subject for it; other subjects' tokens for the same task id are untouched. */
  revokeHeldTask(taskId: string, sub: string, actor: string): Promise<void>;
  revokeToken(jti: string, actor: string): Promise<void>;
}

/** Shortest token worth minting; a subject credential about to expire yields invalid_grant. */
const MIN_LIFETIME_MS = 5000;

export function createTaskTokenService(
  config: TaskTokenServiceConfig,
  deps: TaskTokenServiceDeps,
): TaskTokenService {
  const now = deps.now ?? Date.now;
  const emit = async (e: TaskTokenEvent) => {
    await deps.onEvent?.(e);
  };
  const revocationHorizon = () => revocationUntil(now(), config.maxLifetimeMs, config.skewMs);

  async function exchange(input: ExchangeInput): Promise<ExchangeResult> {
    const refuse = async (error: OAuthErrorCode, reason: string): Promise<ExchangeResult> => {
      await emit({
        type: 'task_token.refused',
        error,
        reason,
        sub: input.subject.id,
        taskId: TASK_ID.test(input.taskId) ? input.taskId : null,
      });
      return { kind: 'error', error, reason };
    };
    const { subject, actor } = input;
    if (subject.kind !== 'client')
      return refuse('invalid_grant', 'admin credentials do not mint task tokens');
    if (!TASK_ID.test(input.taskId)) return refuse('invalid_request', 'task_id malformed');
    for (const aud of input.audiences ?? [])
      if (aud !== config.audience) return refuse('invalid_target', 'audience is not this gateway');

    const subjectTask = hasIdentity(subject) ? subject.identity.taskId : undefined;
    // A task token is only ever narrowed within its own task, so revoking the task reaches every descendant.
    if (subjectTask !== undefined && subjectTask !== input.taskId)
      return refuse('invalid_target', 'a task token cannot be exchanged for another task');

    const held = scopesOfPrincipal(subject);
    if (input.scope === undefined && config.requireScope) return refuse('invalid_scope', 'scope is required');
    const scope = input.scope ?? held;
    if (scope.length === 0) return refuse('invalid_scope', 'empty scope');
    for (const s of scope)
      if (!scopeCovers(held, s)) return refuse('invalid_scope', 'scope exceeds the subject');

    const priorAct = hasIdentity(subject) ? subject.identity.act : undefined;
    const act: Actor | undefined = actor
      ? {
          sub: actor.id,
          ...(hasIdentity(actor) && actor.identity.issuer ? { iss: actor.identity.issuer } : {}),
          ...(priorAct ? { act: priorAct } : {}),
        }
      : priorAct;
    if (actorDepth(act) > config.maxDelegationDepth)
      return refuse('invalid_grant', 'delegation chain too deep');

    const t = now();
    const requested = Math.min(input.lifetimeMs ?? config.maxLifetimeMs, config.maxLifetimeMs);
    // Never outlive the credentials it was made from.
    const expMs = Math.min(
      t + requested,
      subject.expiresAt.getTime(),
      actor ? actor.expiresAt.getTime() : Number.POSITIVE_INFINITY,
    );
    if (expMs - t < MIN_LIFETIME_MS)
      return refuse('invalid_grant', 'subject or actor credential about to expire');
    if (await isTaskRevoked(deps.revocations, { taskId: input.taskId, sub: subject.id }, new Date(t)))
      return refuse('invalid_grant', 'task revoked');

    const iat = Math.floor(t / 1000);
    const exp = Math.floor(expMs / 1000);
    const jti = randomUUID();
    const key = await deps.keyring.current();
    const identity = hasIdentity(subject) ? subject.identity : undefined;
    const token = await new jose.SignJWT({
      scope: scope.join(' '),
      task_id: input.taskId,
      airlock_kind: identity?.subjectKind ?? 'service',
      ...(identity?.roles.length ? { roles: identity.roles } : {}),
      ...(identity?.tenant !== undefined ? { tenant: identity.tenant } : {}),
      ...(act ? { act } : {}),
      cid: subject.credentialId,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: TASK_TOKEN_TYP })
      .setIssuer(config.issuer)
      .setSubject(subject.id)
      .setAudience(config.audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key.privateKey);
    await emit({
      type: 'task_token.issued',
      jti,
      taskId: input.taskId,
      sub: subject.id,
      subjectCredentialId: subject.credentialId,
      actor: actor?.id ?? null,
      act: act ?? null,
      scope,
      expiresAt: new Date(exp * 1000).toISOString(),
    });
    return { kind: 'issued', token, jti, expiresIn: exp - iat, scope };
  }

  return {
    exchange,
    async revokeTask(taskId, actor) {
      await deps.revocations.revokeTask(taskId, revocationHorizon());
      await emit({ type: 'task_token.revoked', taskId, actor });
    },
    async revokeHeldTask(taskId, sub, actor) {
      await deps.revocations.revokeTask(heldTaskId(taskId, sub), revocationHorizon());
      await emit({ type: 'task_token.revoked', taskId, sub, actor });
    },
    async revokeToken(jti, actor) {
      await deps.revocations.revokeToken(jti, revocationHorizon());
      await emit({ type: 'task_token.revoked', jti, actor });
    },
  };
}
