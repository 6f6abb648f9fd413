// Console login on the admin listener (mounted by the composition root):
//   POST /admin/v1/login           {name, password, totp?} → session cookie + CSRF token
//   POST /admin/v1/logout          (session + CSRF) → cookie cleared, session revoked
//   POST /admin/v1/users/me/totp   (session + CSRF) {} → otpauth URI; {code} → enrolled, new session
// Errors use the admin envelope. A session is always issued fresh (never reused from the request), and
// finishing enrolment replaces the enrolment-only session, so a planted or stolen pre-MFA session
// never becomes a full one (session fixation).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { AirlockError } from '../../errors.ts';
import { adminErrorBody, errorHeaders } from '../../http/envelope.ts';
import type { SessionManager } from './session-manager.ts';
import type { UserService } from './user-service.ts';

export interface LoginRoutesDeps {
  readonly users: UserService;
  readonly sessions: SessionManager;
  readonly requestId?: () => string;
}

const loginBody = z.strictObject({
  name: z.string().min(1).max(256),
  password: z.string().min(1).max(4096),
  totp: z.string().max(16).optional(),
});
const totpBody = z.strictObject({ code: z.string().min(1).max(16).optional() });

export function registerLoginRoutes(app: FastifyInstance, deps: LoginRoutesDeps): void {
  const send = (reply: FastifyReply, err: unknown) => {
    const e = err instanceof AirlockError ? err : new AirlockError('internal_error', { cause: err });
    return reply
      .code(e.status)
      .headers(errorHeaders(e))
      .header('cache-control', 'no-store')
      .send(adminErrorBody(e, deps.requestId?.() ?? ''));
  };
  const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const r = schema.safeParse(body ?? {});
    if (!r.success) throw new AirlockError('invalid_request', { detail: r.error.issues[0]?.message });
    return r.data;
  };

  app.post('/admin/v1/login', async (request, reply) => {
    try {
      const body = parse(loginBody, request.body);
      const outcome = await deps.users.login({
        name: body.name,
        password: body.password,
        ...(body.totp !== undefined ? { totp: body.totp } : {}),
        clientAddress: request.ip,
      });
      // A session cookie the browser already holds is ended, not upgraded.
      const previous = await deps.sessions.check(request.headers, 'GET').catch(() => undefined);
      if (previous?.kind === 'valid') await deps.sessions.revoke(previous.session);
      const stage = outcome.kind === 'ok' ? 'full' : 'enroll';
      const issued = await deps.sessions.issue(outcome.user, stage, request.ip);
      return reply
        .code(200)
        .header('set-cookie', issued.setCookie)
        .header('cache-control', 'no-store')
        .send({
          status: outcome.kind === 'ok' ? 'authenticated' : 'mfa_enrollment_required',
          user: { id: outcome.user.id, name: outcome.user.name, role: outcome.user.role },
          csrfToken: issued.csrfToken,
          expiresAt: new Date(issued.session.expiresAt).toISOString(),
        });
    } catch (err) {
      return send(reply, err);
    }
  });

  app.post('/admin/v1/logout', async (request, reply) => {
    try {
      const r = await deps.sessions.check(request.headers, 'POST');
      if (r.kind === 'none') throw new AirlockError('invalid_session');
      if (r.kind === 'reject') {
        // An expired or revoked session still gets its cookie cleared; a CSRF failure does not log out.
        if (r.code === 'invalid_session') reply.header('set-cookie', deps.sessions.clearCookie);
        throw new AirlockError(r.code);
      }
      await deps.sessions.revoke(r.session);
      return reply.code(204).header('set-cookie', deps.sessions.clearCookie).send();
    } catch (err) {
      return send(reply, err);
    }
  });

  app.post('/admin/v1/users/me/totp', async (request, reply) => {
    try {
      const r = await deps.sessions.check(request.headers, 'POST');
      if (r.kind === 'none') throw new AirlockError('invalid_session');
      if (r.kind === 'reject') throw new AirlockError(r.code);
      const body = parse(totpBody, request.body);
      if (body.code === undefined) {
        const enrollment = await deps.users.startTotpEnrollment(r.user.id);
        return reply
          .code(200)
          .header('cache-control', 'no-store')
          .send({ status: 'pending', otpauthUri: enrollment.otpauthUri, secret: enrollment.secret });
      }
      await deps.users.confirmTotp(r.user.id, body.code);
      await deps.sessions.revoke(r.session);
      const issued = await deps.sessions.issue(r.user, 'full', request.ip);
      return reply
        .code(200)
        .header('set-cookie', issued.setCookie)
        .header('cache-control', 'no-store')
        .send({
          status: 'enrolled',
          csrfToken: issued.csrfToken,
          expiresAt: new Date(issued.session.expiresAt).toISOString(),
        });
    } catch (err) {
      return send(reply, err);
    }
  });
}
