// Admin API for break-glass: open (role + fresh TOTP + reason), list, close early, review.
import type { FastifyInstance } from 'fastify';
import { durationMs } from '../../config/duration.ts';
import { AirlockError } from '../../errors.ts';
import type { Principal } from '../../http/context.ts';
import { type AdminRoute, bodyOf, defaultRolesOf, optionalString, principalOf } from '../approvals/routes.ts';
import type { BreakGlassService } from './breakglass-service.ts';
import type { GrantRecord } from './types.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function grantView(g: GrantRecord): Record<string, unknown> {
  return {
    id: g.id,
    principal: g.principal,
    reason: g.reason,
    openedAt: iso(g.openedAt),
    expiresAt: iso(g.expiresAt),
    closedAt: iso(g.closedAt),
    closedBy: g.closedBy,
    uses: g.uses,
    reviewedBy: g.reviewedBy,
    reviewedAt: iso(g.reviewedAt),
    reviewNote: g.reviewNote,
  };
}

export interface BreakGlassRoutesDeps {
  readonly route: AdminRoute;
  readonly breakGlass: BreakGlassService;
  readonly rolesOf?: (p: Principal) => readonly string[];
}

export function registerBreakGlassRoutes(app: FastifyInstance, deps: BreakGlassRoutesDeps): void {
  const rolesOf = deps.rolesOf ?? defaultRolesOf;
  app.post(
    '/admin/v1/breakglass',
    deps.route('admin.breakglass.open', async (ctx, request) => {
      const p = principalOf(ctx);
      const b = bodyOf(request);
      const ttl = optionalString(b.ttl, 'ttl', 16);
      let ttlMs: number | undefined;
      if (ttl !== undefined) {
        if (!/^\d+(ms|s|m|h)$/.test(ttl))
          throw new AirlockError('invalid_request', { detail: 'ttl: a duration such as 30m' });
        ttlMs = durationMs(ttl);
      }
      const grant = await deps.breakGlass.open({
        opener: { id: p.id, roles: rolesOf(p) },
        reason: optionalString(b.reason, 'reason') ?? '',
        totp: optionalString(b.totp, 'totp', 16) ?? '',
        ...(ttlMs !== undefined ? { ttlMs } : {}),
      });
      return { status: 201, body: grantView(grant) };
    }),
  );
  app.get(
    '/admin/v1/breakglass',
    deps.route('admin.breakglass.read', async (_ctx, request) => {
      const q = request.query as Record<string, string | undefined>;
      const list = await deps.breakGlass.list({ unreviewed: q.unreviewed === 'true' });
      return { status: 200, body: { data: list.map(grantView), counts: await deps.breakGlass.counts() } };
    }),
  );
  app.post(
    '/admin/v1/breakglass/:id/close',
    deps.route('admin.breakglass.open', async (ctx, request) => {
      const { id } = request.params as { id: string };
      const p = principalOf(ctx);
      const g = await deps.breakGlass.get(id);
      if (g.principal !== p.id && !rolesOf(p).includes('admin'))
        throw new AirlockError('admin_forbidden', { detail: `${p.id} closing grant of ${g.principal}` });
      return { status: 200, body: grantView(await deps.breakGlass.close(id, p.id)) };
    }),
  );
  app.post(
    '/admin/v1/breakglass/:id/review',
    deps.route('admin.breakglass.review', async (ctx, request) => {
      const { id } = request.params as { id: string };
      const p = principalOf(ctx);
      const note = optionalString(bodyOf(request).note, 'note');
      return { status: 200, body: grantView(await deps.breakGlass.review(id, p.id, note)) };
    }),
  );
}
