// Step-up (P8): a decision of kind needs-step-up (`@stepup("mfa")` on the permitting policy) is
// satisfied by a fresh TOTP code from the local user behind the session. Completing it leaves a
// short-lived marker bound to that principal *and* that credential (the session id), so a stolen
// cookie from another session or another user's session never inherits it. The TOTP check consumes
// the code's time step (RFC 6238 §5.2: a code is accepted at most once), so a replayed code is
// refused. Markers live in memory: a restart or another replica asks again (fail closed); that is
// the documented trade-off (a step-up lasts minutes, so a replica asking again costs one TOTP code).
// Only console sessions can step up; other credentials are told step-up needs an interactive user.
//
// In the pipeline, `context` hands the completed factors to the decision point
// (context.credential.stepUp) and `authorize` wraps the authorize stage: a refusal names how to step
// up; an allow that needed a step-up records it on the trail (and so in the audit entry); a policy's
// `@ttl` bounds how old the step-up may be.
import { AirlockError } from '../../errors.ts';
import type { RequestContext } from '../../http/context.ts';
import type { Stage } from '../../http/pipeline.ts';
import { authorizedObligations } from '../authorize-stage.ts';
import { credentialContext } from '../entities.ts';
import type { DecisionContext } from '../types.ts';

/** The longest a step-up may be relied on, whatever the configuration asks (issue 6). */
export const MAX_STEP_UP_TTL_MS = 15 * 60_000;
export const STEP_UP_ROUTE = '/admin/v1/stepup';

export interface StepUpEvent {
  readonly type: 'stepup.completed' | 'stepup.refused';
  readonly actor: string;
  readonly at: number;
  readonly expiresAt?: number;
  readonly reason?: string;
}

export interface StepUpServiceDeps {
  /** True iff `code` is a fresh TOTP code of user `principalId`; consumes the time step. */
  readonly verifyTotp: (principalId: string, code: string) => Promise<boolean>;
  /** How long a step-up lasts when the caller asks for nothing shorter (default 10 min, max 15). */
  readonly ttlMs?: number;
  readonly now?: () => number;
  readonly onEvent?: (e: StepUpEvent) => void;
  /** Markers kept at most (oldest dropped first); default 10,000. */
  readonly maxMarkers?: number;
}

export interface StepUpMarker {
  readonly factors: readonly string[];
  readonly completedAt: number;
  readonly expiresAt: number;
}

export interface StepUpService {
  /** Verifies a fresh TOTP code of the principal and marks this credential stepped up. */
  complete(
    who: { readonly principalId: string; readonly credentialId: string },
    code: string,
    ttlMs?: number,
  ): Promise<StepUpMarker>;
  /** The live marker of this principal and credential, if any. */
  marker(principalId: string, credentialId: string): StepUpMarker | undefined;
  /** Pass (merged) as `context` to the authorize stage. */
  context(ctx: RequestContext): Partial<DecisionContext>;
  /** Wraps the authorize stage (keeps its name). Every step_up_required it throws goes through
   *  `shape` first when given (a surface that answers refusals in its own protocol, as /mcp does). */
  authorize(inner: Stage, shape?: StepUpRefusalShape): Stage;
}

/** Turns the service's step_up_required refusal into the error a surface throws instead. */
export type StepUpRefusalShape = (refusal: AirlockError, ctx: RequestContext) => Error;

const keyOf = (principalId: string, credentialId: string) => `${principalId}\u0000${credentialId}`;

/** Only a local user's console session can step up: API keys, task tokens, IdP tokens and client
 *  certificates carry no second factor airlock can ask for, so their callers are told so. */
export function canStepUp(principal: RequestContext['principal']): boolean {
  return principal?.credentialPrefix === 'session';
}

/** What a refused caller is told: how to step up, or that this credential never can. */
export function stepUpHint(principal: RequestContext['principal']): string {
  return canStepUp(principal)
    ? `complete a step-up with POST ${STEP_UP_ROUTE} {"code": "<fresh TOTP code>"} in the same console session, then repeat the request`
    : `step-up requires an interactive user: this credential cannot complete POST ${STEP_UP_ROUTE}; make the call from a local user's console session that has stepped up`;
}

export function createStepUpService(deps: StepUpServiceDeps): StepUpService {
  const now = deps.now ?? Date.now;
  const ttl = Math.min(deps.ttlMs ?? 10 * 60_000, MAX_STEP_UP_TTL_MS);
  const max = deps.maxMarkers ?? 10_000;
  const markers = new Map<string, StepUpMarker>();
  const emit = (e: StepUpEvent) => deps.onEvent?.(e);

  const marker = (principalId: string, credentialId: string): StepUpMarker | undefined => {
    const k = keyOf(principalId, credentialId);
    const m = markers.get(k);
    if (!m) return undefined;
    if (now() >= m.expiresAt) {
      markers.delete(k);
      return undefined;
    }
    return m;
  };

  // Only the console session that stepped up: principal ids are shared across credential kinds (an
  // IdP token's sub may equal a local user's name) and an IdP chooses its jti, so the pair alone
  // does not prove the credential is that session.
  const live = (ctx: RequestContext) =>
    ctx.principal && canStepUp(ctx.principal)
      ? marker(ctx.principal.id, ctx.principal.credentialId)
      : undefined;

  return {
    marker,
    async complete(who, code, ttlMs) {
      const at = now();
      if (ttlMs !== undefined && (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > ttl))
        throw new AirlockError('invalid_request', { publicDetail: `ttl must be at most ${ttl / 1000} s` });
      if (!(await deps.verifyTotp(who.principalId, code))) {
        emit({ type: 'stepup.refused', actor: who.principalId, at, reason: 'TOTP code not fresh' });
        throw new AirlockError('step_up_required', {
          detail: `${who.principalId}: TOTP code not fresh`,
          publicDetail: 'the code was not accepted (wrong, expired or already used); use a new code',
        });
      }
      const m: StepUpMarker = { factors: ['mfa'], completedAt: at, expiresAt: at + (ttlMs ?? ttl) };
      const k = keyOf(who.principalId, who.credentialId);
      markers.delete(k);
      markers.set(k, m);
      if (markers.size > max) markers.delete(markers.keys().next().value as string);
      emit({ type: 'stepup.completed', actor: who.principalId, at, expiresAt: m.expiresAt });
      return m;
    },
    context(ctx) {
      const m = live(ctx);
      if (!m || !ctx.principal) return {};
      const base = credentialContext(ctx.principal);
      return { credential: { ...base, kind: base?.kind ?? 'api-key', stepUp: m.factors } };
    },
    authorize(inner, shape) {
      const refuse = (ctx: RequestContext, refusal: AirlockError) => (shape ? shape(refusal, ctx) : refusal);
      return {
        name: inner.name,
        async run(ctx) {
          try {
            await inner.run(ctx);
          } catch (err) {
            if (!(err instanceof AirlockError) || err.code !== 'step_up_required') throw err;
            throw refuse(
              ctx,
              new AirlockError('step_up_required', {
                detail: err.detail,
                cause: err,
                publicDetail: stepUpHint(ctx.principal),
              }),
            );
          }
          const o = authorizedObligations(ctx);
          if (!o?.stepUp?.length) return;
          const m = live(ctx);
          if (!m)
            throw refuse(
              ctx,
              new AirlockError('step_up_required', {
                detail: 'step-up expired',
                publicDetail: stepUpHint(ctx.principal),
              }),
            );
          // A policy's @ttl bounds how long ago the second factor may have been given.
          if (o.ttlMs !== undefined && now() - m.completedAt > o.ttlMs) {
            ctx.trail.push({
              stage: 'obligations',
              outcome: 'deny',
              code: 'step_up_required',
              detail: { stepUp: o.stepUp, reason: 'step-up older than the policy @ttl' },
            });
            throw refuse(
              ctx,
              new AirlockError('step_up_required', {
                detail: 'step-up older than the policy @ttl',
                publicDetail: stepUpHint(ctx.principal),
              }),
            );
          }
          ctx.trail.push({
            stage: 'obligations',
            outcome: 'allow',
            detail: {
              steppedUp: true,
              stepUp: o.stepUp,
              completedAt: new Date(m.completedAt).toISOString(),
            },
          });
        },
      };
    },
  };
}
