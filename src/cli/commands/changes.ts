// airlock changes propose|approve|reject|list|diff|history — two-person policy and config changes.
import { readFileSync } from 'node:fs';
import { adminClient } from '../../policy/approvals/admin-client.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import type { CliCommand } from '../types.ts';

const usage = `usage:
  airlock changes propose --kind policy|config (--file FILE | --rollback-to N) [--note TEXT] [--url URL] [--json]
  airlock changes list    [--kind policy|config] [--status proposed|applied|rejected|superseded] [--url URL] [--json]
  airlock changes diff    ID [--url URL] [--json]
  airlock changes approve ID [--url URL] [--json]
  airlock changes reject  ID [--url URL] [--json]
  airlock changes history [--kind policy|config] [--url URL] [--json]
A different admin than the author must approve; a rollback is a proposal too.`;

export const changesCommand: CliCommand = {
  name: 'changes',
  summary: 'propose, review and apply policy and config changes (two-person rule)',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (!sub || !['propose', 'list', 'diff', 'approve', 'reject', 'history'].includes(sub))
      throw new UsageError(usage);
    const { values, positionals } = parseFlags(
      rest,
      {
        url: { type: 'string' },
        kind: { type: 'string' },
        file: { type: 'string' },
        'rollback-to': { type: 'string' },
        note: { type: 'string' },
        status: { type: 'string' },
        json: { type: 'boolean' },
      },
      1,
    );
    const call = adminClient(io, values.url);
    const q = (pairs: Record<string, string | undefined>) => {
      const s = new URLSearchParams(
        Object.entries(pairs).filter((e): e is [string, string] => e[1] !== undefined),
      );
      return s.size ? `?${s}` : '';
    };
    let res: Record<string, unknown>;
    if (sub === 'propose') {
      const kind = requireFlag(values.kind, 'kind');
      const body: Record<string, unknown> = { kind, ...(values.note ? { note: values.note } : {}) };
      if (values['rollback-to'] !== undefined) body.rollbackTo = Number(values['rollback-to']);
      else body.content = readFileSync(requireFlag(values.file, 'file'), 'utf8');
      res = await call('POST', '/admin/v1/changes', body);
    } else if (sub === 'list')
      res = await call('GET', `/admin/v1/changes${q({ kind: values.kind, status: values.status })}`);
    else if (sub === 'history')
      res = await call('GET', `/admin/v1/changes/history${q({ kind: values.kind })}`);
    else {
      const id = positionals[0];
      if (!id) throw new UsageError(`changes ${sub} needs an ID`);
      res =
        sub === 'diff'
          ? await call('GET', `/admin/v1/changes/${encodeURIComponent(id)}`)
          : await call('POST', `/admin/v1/changes/${encodeURIComponent(id)}/${sub}`, {});
    }
    if (values.json) printJson(io.stdout, res);
    else if (sub === 'list')
      for (const c of res.data as Record<string, unknown>[])
        io.stdout.write(
          `${c.id}  ${c.kind}  ${c.status}  base v${c.baseVersion}  by ${c.author}${c.rollbackOf ? `  rollback to v${c.rollbackOf}` : ''}\n`,
        );
    else if (sub === 'history')
      for (const v of res.data as Record<string, unknown>[])
        io.stdout.write(
          `${v.kind} v${v.version}  ${v.sha256}  by ${v.author}  approved by ${v.approver ?? '-'}  ${v.appliedAt}\n`,
        );
    else if (sub === 'diff' || sub === 'propose') io.stdout.write(`${res.id}  ${res.status}\n${res.diff}`);
    else
      io.stdout.write(`${res.id}  ${res.status}${res.appliedVersion ? `  → v${res.appliedVersion}` : ''}\n`);
    return 0;
  },
};
