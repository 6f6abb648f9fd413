// airlock tasks revoke|list — end an agent task (P8) straight against the store: every task token of
// it is refused from its next use on, on every gateway sharing the store, and no new one is minted.
// The same operation as POST /admin/v1/tasks/{id}/revoke, recorded as task_token.revoked.
import { AirlockError } from '../../errors.ts';
import { toJsonObject } from '../../http/stages/record.ts';
import { parseDuration } from '../../identity/config.ts';
import { revocationUntil, TASK_ID } from '../../identity/task-token-service.ts';
import { revocationStoreFor } from '../../identity/task-token-store.ts';
import { openSideConnection } from '../../secrets/side-connection.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import { openCliRuntime } from '../runtime.ts';
import type { CliCommand } from '../types.ts';

const usage = `usage:
  airlock tasks revoke --config FILE TASK_ID [--json]
  airlock tasks list   --config FILE [--json]
revoke ends a task: its tokens are refused on their next use and no new token is minted for it.
list shows the revocations still in force (tasks and single tokens).`;

export const tasksCommand: CliCommand = {
  name: 'tasks',
  summary: 'end agent tasks (revoke every task token of a task) and list revocations',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'revoke' && sub !== 'list') throw new UsageError('expected revoke or list');
    const { values, positionals } = parseFlags(
      rest,
      { config: { type: 'string' }, json: { type: 'boolean' } },
      1,
    );
    const taskId = positionals[0];
    if (sub === 'revoke' && (!taskId || !TASK_ID.test(taskId)))
      throw new UsageError('expected a TASK_ID (1-128 of A-Z a-z 0-9 . _ : -)');
    const runtime = await openCliRuntime(requireFlag(values.config, 'config'), io);
    try {
      const { config, dataDir } = runtime.loaded;
      if (config.identity.tokens.revocations.driver !== 'store')
        throw new AirlockError('config_invalid', {
          detail:
            'identity.tokens.revocations.driver is memory: only the running gateway holds its revocations',
        });
      const conn = await openSideConnection(config.store, { dataDir });
      try {
        const revocations = revocationStoreFor(conn);
        if (sub === 'list') {
          const rows = (await revocations.list(new Date())).map((e) => ({
            kind: e.kind,
            id: e.id,
            revokedAt: e.revokedAt.toISOString(),
            until: e.until.toISOString(),
          }));
          if (values.json) printJson(io.stdout, { revocations: rows });
          else
            for (const r of rows)
              io.stdout.write(`${r.kind}  ${r.id}  revoked ${r.revokedAt}  held until ${r.until}\n`);
          return 0;
        }
        const actor = `cli:${io.env.USER ?? 'unknown'}`;
        const until = revocationUntil(Date.now(), parseDuration(config.identity.tokens.maxLifetime));
        await revocations.revokeTask(taskId!, until);
        await runtime.audit.append({
          type: 'task_token.revoked',
          outcome: 'info',
          detail: toJsonObject({ type: 'task_token.revoked', taskId, actor }),
        });
        if (values.json) printJson(io.stdout, { taskId, revoked: true, until: until.toISOString() });
        else io.stdout.write(`revoked task ${taskId} (its tokens are refused from their next use)\n`);
        return 0;
      } finally {
        await conn.close();
      }
    } finally {
      await runtime.close();
    }
  },
};
