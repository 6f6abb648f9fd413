// `airlock models approve|activate|rollback` under two-person custody, and `airlock models proposals`:
// the change is proposed through the gateway's admin API by a named admin, and a different admin
// approves it there (never straight against custody.db, where no second person could be checked).
import type { LoadedConfig } from '../../config/load.ts';
import { AirlockError } from '../../errors.ts';
import { adminClient } from '../../policy/approvals/admin-client.ts';
import { UsageError } from '../args.ts';
import { applyEgressPolicy } from '../runtime.ts';
import type { CliIo } from '../types.ts';

/** The admin API client; the CLI runs under the egress guard, so the admin URL is allowed first. */
function client(io: CliIo, loaded: LoadedConfig, url: string | undefined) {
  const base = url ?? io.env.AIRLOCK_URL;
  if (!base)
    throw new AirlockError('model_two_person_required', {
      detail:
        'custody.twoPerson is on: propose through the admin API with --url URL (or AIRLOCK_URL) and AIRLOCK_ADMIN_KEY; a different admin then runs `airlock models proposals approve ID`',
    });
  applyEgressPolicy(loaded, io);
  return adminClient(io, base);
}

export interface ProposalArgs {
  readonly action: 'approve' | 'activate' | 'rollback';
  readonly version: string;
  readonly alias?: string;
  readonly reason?: string;
}

export async function proposeThroughAdmin(
  io: CliIo,
  loaded: LoadedConfig,
  url: string | undefined,
  args: ProposalArgs,
): Promise<Record<string, unknown>> {
  const call = client(io, loaded, url);
  return call('POST', '/admin/v1/models/proposals', { ...args });
}

export function proposalLine(p: Record<string, unknown>): string {
  const what = `${p.action} ${p.version}${p.alias ? ` (alias ${p.alias})` : ''}`;
  const decided = p.decidedBy ? `  by ${p.decidedBy} at ${p.decidedAt}` : '';
  return `${p.id}  ${String(p.status).padEnd(8)}  ${what}  proposed by ${p.author}${decided}`;
}

/** `airlock models proposals [list [--status S]] | approve ID | reject ID`. */
export async function runProposals(
  io: CliIo,
  loaded: LoadedConfig,
  opts: { url: string | undefined; positionals: readonly string[]; status?: string; json: boolean },
): Promise<number> {
  const [sub = 'list', id] = opts.positionals;
  const call = client(io, loaded, opts.url);
  let out: Record<string, unknown>;
  if (sub === 'list') {
    const q = opts.status ? `?status=${encodeURIComponent(opts.status)}` : '';
    out = await call('GET', `/admin/v1/models/proposals${q}`);
    if (!opts.json) {
      for (const p of out.data as Record<string, unknown>[]) io.stdout.write(`${proposalLine(p)}\n`);
      return 0;
    }
  } else if (sub === 'approve' || sub === 'reject') {
    if (!id) throw new UsageError(`models proposals ${sub} needs an ID`);
    out = await call('POST', `/admin/v1/models/proposals/${encodeURIComponent(id)}/${sub}`, {});
    if (!opts.json) {
      io.stdout.write(`${proposalLine(out)}\n`);
      return 0;
    }
  } else throw new UsageError('models proposals takes list, approve ID or reject ID');
  io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}
