// Admin API for approvals, break-glass and changes shares this shape: each route runs through the
// admin pipeline (authenticate → authorize → record) via the injected `route` runner, so every
// decision on an approval is itself authorised and audited.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AirlockError } from '../../errors.ts';
import type { Principal, RequestContext } from '../../http/context.ts';
import type { ApprovalService } from './approval-service.ts';
import type { ApprovalRecord } from './types.ts';

/** Same shape as src/http/admin-route.ts `AdminRoute` (createAdminRoute). */
export type AdminRoute = (
  name: `admin.${string}`,
  op: (
    ctx: RequestContext,
    request: FastifyRequest,
  ) => Promise<{ status: number; body: Record<string, unknown> }>,
) => (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/** Roles that count for approver groups and the break-glass role: identity roles; an admin API
 *  key (no identity) counts as role "admin". */
export function defaultRolesOf(p: Principal): readonly string[] {
  return p.identity ? p.identity.roles : p.kind === 'admin' ? ['admin'] : [];
}

export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw new AirlockError('missing_credentials');
  return ctx.principal;
}

export function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

export function optionalString(v: unknown, name: string, max = 2000): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max)
    throw new AirlockError('invalid_request', {
      detail: `${name} must be a string of at most ${max} characters`,
    });
  return v;
}

export function approvalView(a: ApprovalRecord): Record<string, unknown> {
  return {
    id: a.id,
    status: a.status,
    principal: a.principal,
    action: a.action,
    resource: a.resource,
    argsHash: a.argsHash,
    groups: a.groups,
    requestId: a.requestId,
    createdAt: new Date(a.createdAt).toISOString(),
    expiresAt: new Date(a.expiresAt).toISOString(),
    decidedBy: a.decidedBy,
    decidedAt: a.decidedAt === null ? null : new Date(a.decidedAt).toISOString(),
    note: a.note,
    consumedAt: a.consumedAt === null ? null : new Date(a.consumedAt).toISOString(),
  };
}

export interface ApprovalRoutesDeps {
  readonly route: AdminRoute;
  readonly approvals: ApprovalService;
  readonly rolesOf?: (p: Principal) => readonly string[];
}

const STATUSES = new Set(['pending', 'approved', 'denied', 'consumed']);

export function registerApprovalRoutes(app: FastifyInstance, deps: ApprovalRoutesDeps): void {
  const rolesOf = deps.rolesOf ?? defaultRolesOf;
  app.get(
    '/admin/v1/approvals',
    deps.route('admin.approvals.read', async (_ctx, request) => {
      const q = request.query as Record<string, string | undefined>;
      if (q.status !== undefined && !STATUSES.has(q.status))
        throw new AirlockError('invalid_request', {
          detail: 'status must be pending|approved|denied|consumed',
        });
      const list = await deps.approvals.list(
        q.status ? { status: q.status as ApprovalRecord['status'] } : {},
      );
      return { status: 200, body: { data: list.map(approvalView) } };
    }),
  );
  app.get(
    '/admin/v1/approvals/:id',
    deps.route('admin.approvals.read', async (_ctx, request) => {
      const { id } = request.params as { id: string };
      return { status: 200, body: approvalView(await deps.approvals.get(id)) };
    }),
  );
  for (const verb of ['approve', 'deny'] as const)
    app.post(
      `/admin/v1/approvals/:id/${verb}`,
      deps.route('admin.approvals.decide', async (ctx, request) => {
        const { id } = request.params as { id: string };
        const p = principalOf(ctx);
        const note = optionalString(bodyOf(request).note, 'note');
        const approver = { id: p.id, roles: rolesOf(p) };
        const rec =
          verb === 'approve'
            ? await deps.approvals.approve(id, approver, note)
            : await deps.approvals.deny(id, approver, note);
        return { status: 200, body: approvalView(rec) };
      }),
    );
}
