// The admin surface (/admin/v1): key lifecycle today; later policies, approvals and the audit reader.
// It runs the same pipeline as /v1 (authenticate with an admin key → authorize → record) with a
// local operation in place of the upstream call. Admin keys never call models; client keys never
// open this surface.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { durationMs } from '../config/duration.ts';
import { AirlockError } from '../errors.ts';
import type { KeyService } from '../identity/key-service.ts';
import type { ApiKeyRecord } from '../store/types.ts';
import { type AdminRouteDeps, createAdminRoute } from './admin-route.ts';
import type { RequestContext } from './context.ts';

export interface AdminSurfaceDeps extends AdminRouteDeps {
  readonly keys: KeyService;
}

const createKeyBody = z.strictObject({
  owner: z.string().min(1).max(128),
  models: z.array(z.string().min(1)).max(256).optional(),
  endpoints: z.array(z.enum(['chat', 'completions', 'embeddings', 'models', '*'])).optional(),
  ttl: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 24h or 30d'),
});

export function publicKeyView(k: ApiKeyRecord): Record<string, unknown> {
  return {
    id: k.id,
    prefix: k.prefix,
    owner: k.owner,
    kind: k.kind,
    models: k.models,
    endpoints: k.endpoints,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
    replacedBy: k.replacedBy,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  };
}

export function registerAdminSurface(app: FastifyInstance, deps: AdminSurfaceDeps): void {
  const actorOf = (ctx: RequestContext) =>
    `${ctx.principal?.id ?? 'unknown'}/${ctx.principal?.credentialId ?? ''}`;
  const route = createAdminRoute(deps);

  app.post(
    '/admin/v1/keys',
    route('admin.keys.create', async (ctx, request) => {
      const parsed = createKeyBody.safeParse(request.body);
      if (!parsed.success)
        throw new AirlockError('invalid_request', { detail: parsed.error.issues[0]?.message });
      const b = parsed.data;
      const created = await deps.keys.create({
        owner: b.owner,
        models: b.models,
        endpoints: b.endpoints,
        ttlMs: durationMs(b.ttl),
        actor: actorOf(ctx),
        // Recorded so the two-person rule can tell this admin from the owner they minted a key for.
        createdBy: ctx.principal?.id ?? 'unknown',
      });
      return {
        status: 201,
        body: {
          id: created.id,
          key: created.key,
          prefix: created.prefix,
          expiresAt: created.expiresAt.toISOString(),
        },
      };
    }),
  );
  app.get(
    '/admin/v1/keys',
    route('admin.keys.list', async (_ctx, request) => {
      const q = request.query as Record<string, string | undefined>;
      const keys = await deps.keys.list({ owner: q.owner, includeRevoked: q.includeRevoked === 'true' });
      return { status: 200, body: { data: keys.map(publicKeyView) } };
    }),
  );
  app.post(
    '/admin/v1/keys/:id/revoke',
    route('admin.keys.revoke', async (ctx, request) => {
      const { id } = request.params as { id: string };
      await deps.keys.revoke(id, actorOf(ctx));
      return { status: 200, body: { id, revoked: true } };
    }),
  );
  app.post(
    '/admin/v1/keys/:id/rotate',
    route('admin.keys.rotate', async (ctx, request) => {
      const { id } = request.params as { id: string };
      const r = await deps.keys.rotate(id, actorOf(ctx), ctx.principal?.id ?? 'unknown');
      return {
        status: 201,
        body: {
          id: r.id,
          key: r.key,
          prefix: r.prefix,
          expiresAt: r.expiresAt.toISOString(),
          replaces: id,
          oldExpiresAt: r.oldExpiresAt.toISOString(),
        },
      };
    }),
  );
}
