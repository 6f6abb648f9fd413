// Admin API for two-person changes: propose (or roll back), list, show, approve, reject, history.
import type { FastifyInstance } from 'fastify';
import { AirlockError } from '../../errors.ts';
import { type AdminRoute, bodyOf, optionalString, principalOf } from '../approvals/routes.ts';
import type { ChangeService } from './change-service.ts';
import type { ChangeKind, ChangeRecord, VersionRecord } from './types.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function changeView(c: ChangeRecord, withContent = false): Record<string, unknown> {
  return {
    id: c.id,
    kind: c.kind,
    status: c.status,
    baseVersion: c.baseVersion,
    author: c.author,
    note: c.note,
    rollbackOf: c.rollbackOf,
    createdAt: iso(c.createdAt),
    decidedBy: c.decidedBy,
    decidedAt: iso(c.decidedAt),
    appliedVersion: c.appliedVersion,
    diff: c.diff,
    ...(withContent ? { content: c.content } : {}),
  };
}

export function versionView(v: VersionRecord): Record<string, unknown> {
  return {
    kind: v.kind,
    version: v.version,
    sha256: v.sha256,
    changeId: v.changeId,
    author: v.author,
    approver: v.approver,
    appliedAt: iso(v.appliedAt),
  };
}

const kindOf = (v: unknown): ChangeKind => {
  if (v === 'policy' || v === 'config') return v;
  throw new AirlockError('invalid_request', { detail: 'kind must be policy or config' });
};

export interface ChangeRoutesDeps {
  readonly route: AdminRoute;
  readonly changes: ChangeService;
}

export function registerChangeRoutes(app: FastifyInstance, deps: ChangeRoutesDeps): void {
  const { changes } = deps;
  app.get(
    '/admin/v1/changes',
    deps.route('admin.policies.read', async (_ctx, request) => {
      const q = request.query as Record<string, string | undefined>;
      const list = await changes.listChanges({
        ...(q.kind ? { kind: kindOf(q.kind) } : {}),
        ...(q.status ? { status: q.status as ChangeRecord['status'] } : {}),
      });
      return { status: 200, body: { data: list.map((c) => changeView(c)) } };
    }),
  );
  app.get(
    '/admin/v1/changes/history',
    deps.route('admin.policies.read', async (_ctx, request) => {
      const q = request.query as Record<string, string | undefined>;
      const list = await changes.history(q.kind ? kindOf(q.kind) : undefined);
      return { status: 200, body: { data: list.map(versionView) } };
    }),
  );
  app.get(
    '/admin/v1/changes/:id',
    deps.route('admin.policies.read', async (_ctx, request) => {
      const { id } = request.params as { id: string };
      return { status: 200, body: changeView(await changes.getChange(id), true) };
    }),
  );
  app.post(
    '/admin/v1/changes',
    deps.route('admin.policies.propose', async (ctx, request) => {
      const b = bodyOf(request);
      const author = principalOf(ctx).id;
      const kind = kindOf(b.kind);
      const note = optionalString(b.note, 'note');
      let c: ChangeRecord;
      if (b.rollbackTo !== undefined) {
        if (!Number.isSafeInteger(b.rollbackTo) || (b.rollbackTo as number) < 1)
          throw new AirlockError('invalid_request', { detail: 'rollbackTo must be a version number' });
        c = await changes.proposeRollback({
          kind,
          toVersion: b.rollbackTo as number,
          author,
          ...(note ? { note } : {}),
        });
      } else {
        const content = optionalString(b.content, 'content', 1_048_576);
        if (content === undefined) throw new AirlockError('invalid_request', { detail: 'content required' });
        c = await changes.proposeChange({ kind, content, author, ...(note ? { note } : {}) });
      }
      return { status: 201, body: changeView(c) };
    }),
  );
  app.post(
    '/admin/v1/changes/:id/approve',
    deps.route('admin.policies.approve', async (ctx, request) => {
      const { id } = request.params as { id: string };
      const { change, version, effect } = await changes.approveChange(id, principalOf(ctx).id);
      return {
        status: 200,
        body: { ...changeView(change), version: versionView(version), ...(effect ? { effect } : {}) },
      };
    }),
  );
  app.post(
    '/admin/v1/changes/:id/reject',
    deps.route('admin.policies.approve', async (ctx, request) => {
      const { id } = request.params as { id: string };
      return { status: 200, body: changeView(await changes.rejectChange(id, principalOf(ctx).id)) };
    }),
  );
}
