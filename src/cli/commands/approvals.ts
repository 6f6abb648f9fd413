// airlock approvals list|approve|deny — decide pending approvals through the admin API.
import { adminClient } from '../../policy/approvals/admin-client.ts';
import { parseFlags, printJson, UsageError } from '../args.ts';
import type { CliCommand } from '../types.ts';

const usage = `usage:
  airlock approvals list    [--status pending|approved|denied|consumed] [--url URL] [--json]
  airlock approvals approve ID [--note TEXT] [--url URL] [--json]
  airlock approvals deny    ID [--note TEXT] [--url URL] [--json]
Talks to the gateway's admin API (AIRLOCK_URL, AIRLOCK_ADMIN_KEY). You cannot approve your own request.`;

export const approvalsCommand: CliCommand = {
  name: 'approvals',
  summary: 'list, approve and deny approval requests',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (!sub || !['list', 'approve', 'deny'].includes(sub)) throw new UsageError(usage);
    const { values, positionals } = parseFlags(
      rest,
      {
        url: { type: 'string' },
        status: { type: 'string' },
        note: { type: 'string' },
        json: { type: 'boolean' },
      },
      1,
    );
    const call = adminClient(io, values.url);
    if (sub === 'list') {
      const q = values.status ? `?status=${encodeURIComponent(values.status)}` : '';
      const res = await call('GET', `/admin/v1/approvals${q}`);
      if (values.json) printJson(io.stdout, res);
      else
        for (const a of res.data as Record<string, unknown>[])
          io.stdout.write(
            `${a.id}  ${a.status}  ${a.principal}  ${a.action}  ${a.resource}  groups=${(a.groups as string[]).join(',')}  expires ${a.expiresAt}\n`,
          );
      return 0;
    }
    const id = positionals[0];
    if (!id) throw new UsageError(`approvals ${sub} needs an ID`);
    const res = await call(
      'POST',
      `/admin/v1/approvals/${encodeURIComponent(id)}/${sub}`,
      values.note ? { note: values.note } : {},
    );
    if (values.json) printJson(io.stdout, res);
    else io.stdout.write(`${res.id} ${res.status} by ${res.decidedBy}\n`);
    return 0;
  },
};
