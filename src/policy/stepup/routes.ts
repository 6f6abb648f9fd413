// POST /admin/v1/stepup (console session + CSRF) {code, ttl?} → the session is stepped up for a
// short while (at most 15 minutes). On the admin listener beside login, and like login it takes the
// session directly: a user session (client surface) and an admin session both step up here.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { durationMs } from '../../config/duration.ts';
import { AirlockError } from '../../errors.ts';
import { adminErrorBody, errorHeaders } from '../../http/envelope.ts';
import type { SessionManager } from '../../identity/users/session-manager.ts';
import { STEP_UP_ROUTE, type StepUpService } from './step-up-service.ts';

export interface StepUpRoutesDeps {
  readonly sessions: SessionManager;
  readonly stepUp: StepUpService;
  readonly requestId?: () => string;
}

const body = z.strictObject({
  code: z.string().min(1).max(16),
  ttl: z
    .string()
    .regex(/^\d+(s|m)$/, 'ttl: a duration such as 5m')
    .optional(),
});

export function registerStepUpRoutes(app: FastifyInstance, deps: StepUpRoutesDeps): void {
  app.post(STEP_UP_ROUTE, async (request, reply) => {
    try {
      const r = await deps.sessions.check(request.headers, 'POST');
      if (r.kind === 'none') throw new AirlockError('invalid_session');
      if (r.kind === 'reject') throw new AirlockError(r.code);
      if (r.session.stage !== 'full') throw new AirlockError('mfa_enrollment_required');
      const parsed = body.safeParse(request.body ?? {});
      if (!parsed.success)
        throw new AirlockError('invalid_request', { publicDetail: parsed.error.issues[0]?.message });
      const ttlMs = parsed.data.ttl === undefined ? undefined : durationMs(parsed.data.ttl);
      const m = await deps.stepUp.complete(
        { principalId: r.user.name, credentialId: r.session.id },
        parsed.data.code,
        ttlMs,
      );
      return reply
        .code(200)
        .header('cache-control', 'no-store')
        .send({
          status: 'stepped_up',
          factors: m.factors,
          expiresAt: new Date(m.expiresAt).toISOString(),
        });
    } catch (err) {
      const e = err instanceof AirlockError ? err : new AirlockError('internal_error', { cause: err });
      return reply
        .code(e.status)
        .headers(errorHeaders(e))
        .header('cache-control', 'no-store')
        .send(adminErrorBody(e, deps.requestId?.() ?? ''));
    }
  });
}
