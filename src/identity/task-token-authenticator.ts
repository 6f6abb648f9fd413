// Verifies airlock's own task tokens: the same checks as IdP JWTs (EdDSA only, kid from airlock's
// keyring, typ at+jwt, iss, aud, exp, nbf, iat, lifetime cap) plus a revocation check — by task and
// by jti — on every use, and a use record for the audit log (P8). Abstains on tokens from any
// other issuer so the IdP authenticator can take them.
import * as jose from 'jose';
import { AirlockError } from '../errors.ts';
import { subjectKinds } from './config.ts';
import {
  bearerToken,
  createVerifiedCache,
  inspectToken,
  joseReason,
  KeyResolutionError,
  lifetimeReason,
  type OnReject,
  type RejectReason,
  rejectFor,
} from './jwt-common.ts';
import { type IdentityPrincipal, parseActor, parseScope, pipelineScopes, stringList } from './principal.ts';
import type { RevocationStore } from './revocation-store.ts';
import { isTaskRevoked, TASK_ID, TASK_TOKEN_TYP } from './task-token-service.ts';
import type { SigningKeyring } from './token-signing-keys.ts';
import type { Authenticator, AuthRequest, AuthResult } from './types.ts';

export interface TaskTokenAuthenticatorConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly maxLifetimeMs: number;
  readonly skewMs: number;
  readonly maxDelegationDepth: number;
}

export interface TaskTokenUseEvent {
  readonly type: 'task_token.used';
  readonly outcome: 'accepted' | 'rejected';
  readonly reason?: RejectReason;
  readonly jti: string;
  readonly taskId: string;
  readonly sub: string;
  readonly act: unknown;
  readonly surface: AuthRequest['surface'];
}

export interface TaskTokenAuthenticatorDeps {
  readonly keyring: Pick<SigningKeyring, 'publicKey'>;
  readonly revocations: Pick<RevocationStore, 'isRevoked'>;
  readonly now?: () => number;
  /** Every use of a verified token, accepted or not (the lead wires it to the audit log). */
  readonly onUse?: (event: TaskTokenUseEvent) => void;
  readonly onReject?: OnReject;
}

export function createTaskTokenAuthenticator(
  config: TaskTokenAuthenticatorConfig,
  deps: TaskTokenAuthenticatorDeps,
): Authenticator {
  const now = deps.now ?? Date.now;
  const skewSec = config.skewMs / 1000;
  const maxLifetimeSec = config.maxLifetimeMs / 1000;

  const resolveKey = async (header: jose.JWTHeaderParameters) => {
    if (header.alg !== 'EdDSA') throw new KeyResolutionError('alg_not_allowed');
    const key = typeof header.kid === 'string' ? await deps.keyring.publicKey(header.kid) : undefined;
    if (!key) throw new KeyResolutionError('unknown_kid');
    return key;
  };

  const reject = (reason: RejectReason, prefix?: string): AuthResult => {
    deps.onReject?.({ authenticator: 'task-token', reason, ...(prefix ? { credentialPrefix: prefix } : {}) });
    return rejectFor(reason, prefix);
  };

  /** Signature and claims verified once; the surface and revocation checks below run on every use. */
  const verified = createVerifiedCache<IdentityPrincipal & { identity: { taskId: string } }>();

  type TaskPrincipal = IdentityPrincipal & { identity: { taskId: string } };

  async function admit(principal: TaskPrincipal, req: AuthRequest, t: number): Promise<AuthResult> {
    const jti = principal.credentialId;
    const taskId = principal.identity.taskId;
    const use = (outcome: 'accepted' | 'rejected', reason?: RejectReason) =>
      deps.onUse?.({
        type: 'task_token.used',
        outcome,
        ...(reason ? { reason } : {}),
        jti,
        taskId,
        sub: principal.id,
        act: principal.identity.act ?? null,
        surface: req.surface,
      });
    // Task tokens are client credentials; the admin surface never accepts them (separation of duty).
    if (req.surface !== 'client') {
      use('rejected', 'wrong_surface');
      return reject('wrong_surface', principal.credentialPrefix);
    }
    if (await isTaskRevoked(deps.revocations, { taskId, sub: principal.id, jti }, new Date(t))) {
      use('rejected', 'revoked');
      return reject('revoked', principal.credentialPrefix);
    }
    use('accepted');
    return { kind: 'authenticated', principal };
  }

  async function authenticate(req: AuthRequest): Promise<AuthResult> {
    const token = bearerToken(req.headers);
    if (token === undefined) return { kind: 'abstain' };
    const t = now();
    const hit = verified.get(token, t);
    if (hit) return admit(hit, req, t);
    const shape = inspectToken(token);
    if (shape.kind !== 'jwt' || shape.payload.iss !== config.issuer) return { kind: 'abstain' };

    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, resolveKey, {
        algorithms: ['EdDSA'],
        issuer: config.issuer,
        audience: config.audience,
        typ: TASK_TOKEN_TYP,
        clockTolerance: skewSec,
        currentDate: new Date(t),
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'task_id'],
      }));
    } catch (err) {
      // An unreachable key store is ours to report (503), not the token's fault.
      if (err instanceof AirlockError) throw err;
      return reject(joseReason(err));
    }
    const jti = payload.jti as string;
    const prefix = `tt:${jti.slice(0, 12)}`;
    const lifetime = lifetimeReason(payload, Math.floor(t / 1000), skewSec, maxLifetimeSec);
    if (lifetime) return reject(lifetime, prefix);
    const taskId = payload.task_id;
    const scope = parseScope(payload.scope ?? '');
    const act = parseActor(payload.act, config.maxDelegationDepth);
    const roles = stringList(payload.roles);
    const kind = payload.airlock_kind;
    if (
      typeof taskId !== 'string' ||
      !TASK_ID.test(taskId) ||
      scope === undefined ||
      act === 'invalid' ||
      roles === undefined ||
      (payload.tenant !== undefined && typeof payload.tenant !== 'string') ||
      typeof kind !== 'string' ||
      !([...subjectKinds, 'workload'] as string[]).includes(kind)
    )
      return reject('bad_claims', prefix);

    const principal: TaskPrincipal = {
      kind: 'client',
      id: payload.sub as string,
      credentialId: jti,
      credentialPrefix: prefix,
      expiresAt: new Date((payload.exp as number) * 1000),
      scopes: pipelineScopes(scope),
      identity: {
        subjectKind: kind as IdentityPrincipal['identity']['subjectKind'],
        credentialKind: 'task-token',
        issuer: config.issuer,
        roles,
        ...(typeof payload.tenant === 'string' ? { tenant: payload.tenant } : {}),
        scope,
        ...(act ? { act } : {}),
        taskId,
      },
    };
    verified.set(token, principal, principal.expiresAt.getTime() + config.skewMs);
    return admit(principal, req, t);
  }

  return { id: 'task-token', authenticate };
}
