// PostgreSQL driver of the audit log, for replicas sharing one database. Each group commit is one
// transaction with synchronous_commit=on that first takes a transaction-scoped advisory lock (the
// single-writer lock: two replicas cannot interleave appends and fork the tree) and then re-reads the
// tree size, reloading the right edge when another replica appended since our last commit.
import pg from 'pg';
import { checkOutClient } from '../../store/pg-checkout.ts';
import { planCommit } from '../commit-plan.ts';
import type { PendingEntry } from '../entry.ts';
import type { Frontier } from '../merkle/compact-range.ts';
import { frontierNodes } from '../merkle/compact-range.ts';
import { hashEquals } from '../merkle/hash.ts';
import type { Component, NodeId } from '../merkle/plan.ts';
import { assemble, consistencyPlan, inclusionPlan, nodeKey, planNodes } from '../merkle/plan.ts';
import type { CommitOutcome } from '../sequencer.ts';
import { createSequencer } from '../sequencer.ts';
import type { AuditLog, Checkpoint, LoggedEntry, NoteSigner } from '../types.ts';
import { migratePostgres } from './migrations.ts';

/** Key of the advisory lock every writer of the audit tree holds for its transaction. */
const WRITER_LOCK = 727_165_002;

export interface PostgresAuditLogOptions {
  /** Connection string; the driver then owns (and ends) its pool. */
  readonly url?: string;
  /** Or a pool owned by the caller (attach a pool 'error' listener yourself). */
  readonly pool?: pg.Pool;
  readonly signer: NoteSigner;
  readonly maxBatch?: number;
  readonly checkpointIntervalMs?: number;
  readonly probeIntervalMs?: number;
  /** Leaves of each durable commit, for exports (see SequencerOptions.onCommitted). */
  readonly onCommitted?: (leaves: readonly string[]) => void;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

export async function openPostgresAuditLog(opts: PostgresAuditLogOptions): Promise<AuditLog> {
  const owned = opts.pool === undefined;
  const pool = opts.pool ?? new pg.Pool({ connectionString: opts.url, max: 4 });
  // An idle client dropped by the server must not crash the process; the next commit reports it.
  if (owned) pool.on('error', () => {});

  const readNodes = async (db: Queryable, ids: readonly NodeId[]): Promise<Map<string, Buffer>> => {
    if (ids.length === 0) return new Map();
    const { rows } = await db.query<{ level: number; idx: string; hash: Buffer }>(
      'SELECT level, idx, hash FROM audit_nodes WHERE (level, idx) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))',
      [ids.map((i) => i.level), ids.map((i) => i.index)],
    );
    return new Map(rows.map((r) => [`${r.level}/${r.idx}`, r.hash]));
  };
  const loadFrontier = async (db: Queryable, size: number): Promise<Frontier> => {
    const ids = frontierNodes(size);
    const got = await readNodes(db, ids);
    return {
      size,
      hashes: ids.map((id) => {
        const h = got.get(nodeKey(id));
        if (h === undefined) throw new Error(`audit tree node ${nodeKey(id)} is missing`);
        return h;
      }),
    };
  };
  const headSize = async (db: Queryable): Promise<number> =>
    Number((await db.query<{ size: string }>('SELECT size FROM audit_head WHERE id = 1')).rows[0]!.size);

  const boot = await checkOutClient(pool);
  let frontier: Frontier;
  let lastCheckpointSize: number;
  try {
    await migratePostgres(boot);
    frontier = await loadFrontier(boot, await headSize(boot));
    const { rows } = await boot.query<{ size: string }>('SELECT max(size) AS size FROM audit_checkpoints');
    lastCheckpointSize = rows[0]!.size === null ? -1 : Number(rows[0]!.size);
  } finally {
    boot.release();
  }

  async function write(batch: readonly PendingEntry[], withCheckpoint: boolean): Promise<CommitOutcome> {
    const client = await checkOutClient(pool);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL synchronous_commit = on');
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITER_LOCK]);
      const size = await headSize(client);
      const base = size === frontier.size ? frontier : await loadFrontier(client, size);
      const plan = planCommit(base, batch, opts.signer, withCheckpoint);
      if (plan.entries.length > 0) {
        await client.query(
          'INSERT INTO audit_entries (idx, data, request_id) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[])',
          [
            plan.entries.map((e) => e.index),
            plan.entries.map((e) => e.data),
            plan.entries.map((e) => e.requestId),
          ],
        );
        await client.query(
          'INSERT INTO audit_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])',
          [
            plan.nodes.map((n) => n.level),
            plan.nodes.map((n) => n.index),
            plan.nodes.map((n) => Buffer.from(n.hash)),
          ],
        );
        await client.query('UPDATE audit_head SET size = $1, root = $2 WHERE id = 1', [
          plan.frontier.size,
          Buffer.from(plan.root),
        ]);
      }
      if (plan.checkpoint !== null) await storeCheckpoint(client, plan.checkpoint);
      await client.query('COMMIT');
      frontier = plan.frontier;
      return { first: size, size: plan.frontier.size, checkpoint: plan.checkpoint };
    } catch (err) {
      broken = err as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      // A connection that failed mid-transaction is discarded rather than reused.
      client.release(broken);
    }
  }

  async function storeCheckpoint(db: Queryable, cp: Checkpoint): Promise<void> {
    await db.query(
      'INSERT INTO audit_checkpoints (size, root, note) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING',
      [cp.size, Buffer.from(cp.root), cp.note],
    );
    const { rows } = await db.query<{ root: Buffer }>('SELECT root FROM audit_checkpoints WHERE size = $1', [
      cp.size,
    ]);
    if (!hashEquals(rows[0]!.root, cp.root))
      throw new Error(`a different root is already stored for size ${cp.size}`);
  }

  const sequencer = createSequencer(
    {
      initialSize: frontier.size,
      lastCheckpointSize,
      async commit(batch, withCheckpoint) {
        if (batch.length === 0 && !withCheckpoint)
          return { first: frontier.size, size: frontier.size, checkpoint: null };
        return write(batch, withCheckpoint);
      },
      async probe() {
        await pool.query(
          'INSERT INTO audit_probe (id, at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
        );
      },
    },
    {
      maxBatch: opts.maxBatch ?? 256,
      checkpointIntervalMs: opts.checkpointIntervalMs ?? 1000,
      probeIntervalMs: opts.probeIntervalMs ?? 1000,
      ...(opts.onCommitted ? { onCommitted: opts.onCommitted } : {}),
    },
  );

  const proof = async (components: Component[]): Promise<Uint8Array[]> => {
    const got = await readNodes(pool, planNodes(components));
    return assemble(components, (id) => got.get(nodeKey(id)));
  };
  const checkSize = async (n: number, what: string): Promise<void> => {
    const size = await headSize(pool);
    if (!Number.isSafeInteger(n) || n < 0 || n > size)
      throw new RangeError(`${what} ${n} exceeds tree size ${size}`);
  };
  const toEntries = (rows: { idx: string; data: Buffer }[]): LoggedEntry[] =>
    rows.map((r) => ({ index: Number(r.idx), data: r.data }));
  const toCheckpoint = (r: { size: string; root: Buffer; note: string }): Checkpoint => ({
    origin: opts.signer.name,
    size: Number(r.size),
    root: r.root,
    note: r.note,
  });

  return {
    append: sequencer.append,
    appendMany: sequencer.appendMany,
    publishCheckpoint: sequencer.publishCheckpoint,
    health: sequencer.health,
    size: () => headSize(pool),
    async entries(from, to) {
      const { rows } = await pool.query<{ idx: string; data: Buffer }>(
        'SELECT idx, data FROM audit_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx',
        [from, to],
      );
      return toEntries(rows);
    },
    async entriesByRequest(requestId) {
      const { rows } = await pool.query<{ idx: string; data: Buffer }>(
        'SELECT idx, data FROM audit_entries WHERE request_id = $1 ORDER BY idx',
        [requestId],
      );
      return toEntries(rows);
    },
    async checkpoint() {
      const { rows } = await pool.query<{ size: string; root: Buffer; note: string }>(
        'SELECT size, root, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1',
      );
      return rows[0] === undefined ? null : toCheckpoint(rows[0]);
    },
    async checkpoints() {
      const { rows } = await pool.query<{ size: string; root: Buffer; note: string }>(
        'SELECT size, root, note FROM audit_checkpoints ORDER BY size',
      );
      return rows.map(toCheckpoint);
    },
    async inclusionProof(index, treeSize) {
      await checkSize(treeSize, 'tree size');
      return proof(inclusionPlan(index, treeSize));
    },
    async consistencyProof(m, n) {
      await checkSize(n, 'tree size');
      return proof(consistencyPlan(m, n));
    },
    async nodes(from, to) {
      // Per level, the nodes whose first leaf lies in [from, to): one primary-key range scan each.
      const levels: number[] = [];
      // A node starting in the range can be as wide as the whole tree, so bound levels by the tree size.
      const size = await headSize(pool);
      for (let level = 0, width = 1; width <= size; level++, width *= 2) levels.push(level);
      const { rows } = await pool.query<{ level: number; idx: string; hash: Buffer }>(
        `SELECT n.level, n.idx, n.hash FROM unnest($1::smallint[]) AS l(level)
           JOIN audit_nodes n ON n.level = l.level
            AND n.idx >= ceil($2::numeric / (1::bigint << l.level))
            AND n.idx < ceil($3::numeric / (1::bigint << l.level))
          ORDER BY n.level, n.idx`,
        [levels, from, to],
      );
      return rows.map((r) => ({ level: r.level, index: Number(r.idx), hash: r.hash }));
    },
    async close() {
      await sequencer.drain();
      if (owned) await pool.end();
    },
  };
}
