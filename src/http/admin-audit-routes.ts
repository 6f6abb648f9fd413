// The audit log on the admin API (action admin/audit.read): entries filtered by time, principal,
// event type and request id; signed checkpoints; inclusion and consistency proofs. Reading the log
// is itself recorded, like every admin call.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AirlockError } from '../errors.ts';
import type { AuditEntry, AuditLogReader } from '../evidence/types.ts';
import type { AdminRoute } from './admin-route.ts';

/** Entries scanned per page at most, so one call never walks the whole log. */
const MAX_SCAN = 5_000;

const entriesQuery = z.strictObject({
  from: z.coerce.number().int().min(0).default(0).describe('First index to scan.'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  type: z.string().max(64).optional(),
  principal: z.string().max(256).optional().describe('Principal id.'),
  requestId: z.string().max(128).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function parseQuery<T>(schema: z.ZodType<T>, request: FastifyRequest): T {
  const parsed = schema.safeParse(request.query ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AirlockError('invalid_request', {
      publicDetail: issue ? `Parameter '${issue.path.join('.')}': ${issue.message}` : undefined,
    });
  }
  return parsed.data;
}

export function registerAdminAuditRoutes(
  app: FastifyInstance,
  deps: { route: AdminRoute; log: AuditLogReader },
): void {
  const { route, log } = deps;

  app.get(
    '/admin/v1/audit/entries',
    route('admin.audit.read', async (_ctx, request) => {
      const q = parseQuery(entriesQuery, request);
      const size = await log.size();
      const matches = (e: AuditEntry) =>
        (!q.type || e.type === q.type) &&
        (!q.principal || e.principal?.id === q.principal) &&
        (!q.since || e.time >= new Date(q.since).toISOString()) &&
        (!q.until || e.time <= new Date(q.until).toISOString());
      const found: AuditEntry[] = [];
      let next: number | null = null;
      if (q.requestId) {
        for (const le of await log.entriesByRequest(q.requestId)) {
          const e = JSON.parse(Buffer.from(le.data).toString('utf8')) as AuditEntry;
          if (le.index >= q.from && matches(e) && found.length < q.limit) found.push(e);
        }
      } else {
        const end = Math.min(size, q.from + MAX_SCAN);
        for (const le of await log.entries(q.from, end)) {
          const e = JSON.parse(Buffer.from(le.data).toString('utf8')) as AuditEntry;
          if (!matches(e)) continue;
          found.push(e);
          if (found.length === q.limit) {
            next = le.index + 1 < size ? le.index + 1 : null;
            break;
          }
        }
        if (next === null && end < size && found.length < q.limit) next = end;
      }
      return { status: 200, body: { size, data: found, next } };
    }),
  );

  app.get(
    '/admin/v1/audit/checkpoints',
    route('admin.audit.read', async () => {
      const all = await log.checkpoints();
      return {
        status: 200,
        body: { data: all.map((c) => ({ origin: c.origin, size: c.size, root: b64(c.root), note: c.note })) },
      };
    }),
  );

  app.get(
    '/admin/v1/audit/proofs/inclusion',
    route('admin.audit.read', async (_ctx, request) => {
      const q = parseQuery(
        z.strictObject({
          index: z.coerce.number().int().min(0),
          size: z.coerce.number().int().min(1).optional(),
        }),
        request,
      );
      const checkpoint = await log.checkpoint();
      const treeSize = q.size ?? checkpoint?.size ?? 0;
      if (q.index >= treeSize)
        throw new AirlockError('invalid_request', { publicDetail: 'index must be below the tree size' });
      const proof = await log.inclusionProof(q.index, treeSize);
      return {
        status: 200,
        body: { index: q.index, treeSize, proof: proof.map(b64), checkpoint: checkpoint?.note ?? null },
      };
    }),
  );

  app.get(
    '/admin/v1/audit/proofs/consistency',
    route('admin.audit.read', async (_ctx, request) => {
      const q = parseQuery(
        z.strictObject({ old: z.coerce.number().int().min(1), new: z.coerce.number().int().min(1) }),
        request,
      );
      const size = await log.size();
      if (q.old > q.new || q.new > size)
        throw new AirlockError('invalid_request', { publicDetail: 'need 1 <= old <= new <= tree size' });
      const proof = await log.consistencyProof(q.old, q.new);
      return { status: 200, body: { old: q.old, new: q.new, proof: proof.map(b64) } };
    }),
  );
}
