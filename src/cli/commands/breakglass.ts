// airlock breakglass open|list|close|review — time-bound emergency grants through the admin API.
import { adminClient } from '../../policy/approvals/admin-client.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import type { CliCommand } from '../types.ts';

const usage = `usage:
  airlock breakglass open   --reason TEXT --totp CODE [--ttl 30m] [--url URL] [--json]
  airlock breakglass list   [--unreviewed] [--url URL] [--json]
  airlock breakglass close  ID [--url URL] [--json]
  airlock breakglass review ID [--note TEXT] [--url URL] [--json]
Opening needs the break-glass role and a fresh TOTP code; grants last at most 1 h. Use the grant
with header x-airlock-break-glass: ID. A different person must review every grant after it ends.`;

export const breakglassCommand: CliCommand = {
  name: 'breakglass',
  summary: 'open, list, close and review break-glass grants',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (!sub || !['open', 'list', 'close', 'review'].includes(sub)) throw new UsageError(usage);
    const { values, positionals } = parseFlags(
      rest,
      {
        url: { type: 'string' },
        reason: { type: 'string' },
        totp: { type: 'string' },
        ttl: { type: 'string' },
        note: { type: 'string' },
        unreviewed: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      1,
    );
    const call = adminClient(io, values.url);
    let res: Record<string, unknown>;
    if (sub === 'open')
      res = await call('POST', '/admin/v1/breakglass', {
        reason: requireFlag(values.reason, 'reason'),
        totp: requireFlag(values.totp, 'totp'),
        ...(values.ttl ? { ttl: values.ttl } : {}),
      });
    else if (sub === 'list')
      res = await call('GET', `/admin/v1/breakglass${values.unreviewed ? '?unreviewed=true' : ''}`);
    else {
      const id = positionals[0];
      if (!id) throw new UsageError(`breakglass ${sub} needs an ID`);
      res = await call(
        'POST',
        `/admin/v1/breakglass/${encodeURIComponent(id)}/${sub}`,
        values.note ? { note: values.note } : {},
      );
    }
    if (values.json) printJson(io.stdout, res);
    else if (sub === 'list') {
      for (const g of res.data as Record<string, unknown>[])
        io.stdout.write(
          `${g.id}  ${g.principal}  expires ${g.expiresAt}  uses=${g.uses}  reviewed=${g.reviewedBy ?? 'no'}\n`,
        );
      const c = res.counts as { open: number; unreviewed: number };
      io.stdout.write(`open ${c.open}, unreviewed ${c.unreviewed}\n`);
    } else
      io.stdout.write(
        `${res.id}  expires ${res.expiresAt}  closed ${res.closedAt ?? '-'}  reviewed ${res.reviewedBy ?? '-'}\n`,
      );
    return 0;
  },
};
