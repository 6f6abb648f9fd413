// Authenticator (src/identity/types.ts) for console sessions: reads the `__Host-airlock_session`
// cookie; abstains without one. Unsafe methods need the session's CSRF token in `x-csrf-token`;
// AuthRequest does not carry the method yet, so until it does every request needs it (fail closed).
// Admin sessions open only the admin surface and user sessions only the client surface, because a
// host-bound cookie reaches every port of that host.
import type { Principal } from '../../http/context.ts';
import type { Authenticator, AuthRequest, AuthResult } from '../types.ts';
import type { SessionManager } from './session-manager.ts';

export interface SessionAuthenticatorDeps {
  readonly sessions: SessionManager;
  /** Model and endpoint scopes of `user` sessions on the client surface; default none (default-deny). */
  readonly userScopes?: Principal['scopes'];
}

export function createSessionAuthenticator(deps: SessionAuthenticatorDeps): Authenticator {
  const userScopes = deps.userScopes ?? { models: [], endpoints: [] };
  async function authenticate(req: AuthRequest): Promise<AuthResult> {
    const method = (req as AuthRequest & { readonly method?: string }).method;
    const r = await deps.sessions.check(req.headers, method);
    if (r.kind === 'none') return { kind: 'abstain' };
    if (r.kind === 'reject') return { kind: 'reject', code: r.code, credentialPrefix: 'session' };
    if (r.session.stage !== 'full')
      return { kind: 'reject', code: 'mfa_enrollment_required', credentialPrefix: 'session' };
    const kind = r.user.role === 'admin' ? 'admin' : 'client';
    if (kind !== req.surface)
      return {
        kind: 'reject',
        code: kind === 'client' ? 'admin_forbidden' : 'forbidden',
        credentialPrefix: 'session',
      };
    return {
      kind: 'authenticated',
      principal: {
        kind,
        id: r.user.name,
        credentialId: r.session.id,
        credentialPrefix: 'session',
        expiresAt: new Date(r.expiresAt),
        scopes: kind === 'admin' ? { models: [], endpoints: [] } : userScopes,
      },
    };
  }
  return { id: 'session', authenticate };
}
