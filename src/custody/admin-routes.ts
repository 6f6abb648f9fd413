// Admin API for model custody: the inventory (read), and approve / activate / rollback as proposals a
// different admin approves (two-person custody). Each route runs the admin pipeline (authenticate →
// Cedar `admin/models.*` → the operation → record), so every step is also a request entry in the log.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AirlockError } from '../errors.ts';
import type { AdminRoute } from '../http/admin-route.ts';
import { bodyOf, principalOf } from '../policy/approvals/routes.ts';
import { refuseSameHolder, type SameHolder } from '../policy/key-lineage.ts';
import type { Inventory } from './inventory.ts';
import { type ModelProposal, type ModelProposals, proposalActions } from './proposals.ts';
import { modelVersionSummary } from './types.ts';

const proposeBody = z.strictObject({
  action: z.enum(proposalActions),
  version: z.string().min(1).max(300),
  alias: z.string().min(1).max(200).optional(),
  reason: z.string().max(2000).optional(),
});

export function proposalView(p: ModelProposal): Record<string, unknown> {
  return { ...p };
}

export function registerModelRoutes(
  app: FastifyInstance,
  deps: {
    route: AdminRoute;
    inventory: Inventory;
    proposals: ModelProposals;
    /** Principals that count as one person for two-person custody (see keyLineage). */
    sameHolder?: SameHolder;
  },
): void {
  const { inventory, proposals } = deps;
  app.get(
    '/admin/v1/models',
    deps.route('admin.models.read', async () => ({
      status: 200,
      body: { data: inventory.list().map(modelVersionSummary), aliases: inventory.aliases() },
    })),
  );
  app.get(
    '/admin/v1/models/proposals',
    deps.route('admin.models.read', async (_ctx, request) => {
      const status = (request.query as Record<string, string | undefined>).status;
      if (status !== undefined && !['proposed', 'applied', 'rejected'].includes(status))
        throw new AirlockError('invalid_request', { detail: 'status must be proposed, applied or rejected' });
      const list = proposals.list(status as ModelProposal['status'] | undefined);
      return { status: 200, body: { data: list.map(proposalView), twoPerson: proposals.twoPerson } };
    }),
  );
  app.get(
    '/admin/v1/models/proposals/:id',
    deps.route('admin.models.read', async (_ctx, request) => {
      const { id } = request.params as { id: string };
      return { status: 200, body: proposalView(proposals.get(id)) };
    }),
  );
  app.post(
    '/admin/v1/models/proposals',
    deps.route('admin.models.propose', async (ctx, request) => {
      const parsed = proposeBody.safeParse(bodyOf(request));
      if (!parsed.success)
        throw new AirlockError('invalid_request', {
          detail: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        });
      const b = parsed.data;
      const p = proposals.propose(
        {
          action: b.action,
          version: b.version,
          ...(b.alias !== undefined ? { alias: b.alias } : {}),
          ...(b.reason !== undefined ? { reason: b.reason } : {}),
        },
        principalOf(ctx).id,
      );
      return { status: p.status === 'applied' ? 200 : 201, body: proposalView(p) };
    }),
  );
  app.post(
    '/admin/v1/models/proposals/:id/approve',
    deps.route('admin.models.approve', async (ctx, request) => {
      const { id } = request.params as { id: string };
      const approver = principalOf(ctx).id;
      // Two-person custody compares people: an approver who created the author's API key (or whose
      // own key the author created) is the author. proposals.approve checks the plain id itself.
      if (proposals.twoPerson) {
        const p = proposals.get(id);
        if (p.status === 'proposed') await refuseSameHolder(deps.sameHolder, p.author, approver, id);
      }
      const { proposal, version } = proposals.approve(id, approver);
      return { status: 200, body: { ...proposalView(proposal), model: modelVersionSummary(version) } };
    }),
  );
  app.post(
    '/admin/v1/models/proposals/:id/reject',
    deps.route('admin.models.approve', async (ctx, request) => {
      const { id } = request.params as { id: string };
      return { status: 200, body: proposalView(proposals.reject(id, principalOf(ctx).id)) };
    }),
  );
}
