// Admin routes for task tokens (P8), run through the admin pipeline (authenticate → authorize →
// operation → record): end a task — every token minted for it is refused from its next use on, on
// every replica sharing the store, and no further token is minted for it — and list the revocations
// in force. The revocation itself is also its own `task_token.revoked` audit entry.
import type { FastifyInstance } from 'fastify';
import { AirlockError } from '../errors.ts';
import type { AdminRoute } from '../http/admin-route.ts';
import type { RequestContext } from '../http/context.ts';
import type { RevocationStore } from './revocation-store.ts';
import { TASK_ID, type TaskTokenService } from './task-token-service.ts';

export interface TaskAdminRoutesDeps {
  readonly route: AdminRoute;
  readonly service: Pick<TaskTokenService, 'revokeTask'>;
  readonly revocations: Pick<RevocationStore, 'list'>;
}

const actorOf = (ctx: RequestContext) =>
  `${ctx.principal?.id ?? 'unknown'}/${ctx.principal?.credentialId ?? ''}`;

export function registerTaskAdminRoutes(app: FastifyInstance, deps: TaskAdminRoutesDeps): void {
  app.post(
    '/admin/v1/tasks/:taskId/revoke',
    deps.route('admin.tasks.revoke', async (ctx, request) => {
      const { taskId } = request.params as { taskId: string };
      if (!TASK_ID.test(taskId))
        throw new AirlockError('invalid_request', { detail: 'a task id is 1-128 of A-Z a-z 0-9 . _ : -' });
      await deps.service.revokeTask(taskId, actorOf(ctx));
      return { status: 200, body: { taskId, revoked: true } };
    }),
  );
  app.get(
    '/admin/v1/tasks/revocations',
    deps.route('admin.tasks.list', async () => {
      const entries = await deps.revocations.list(new Date());
      return {
        status: 200,
        body: {
          data: entries.map((e) => ({
            kind: e.kind,
            id: e.id,
            revokedAt: e.revokedAt.toISOString(),
            until: e.until.toISOString(),
          })),
        },
      };
    }),
  );
}
