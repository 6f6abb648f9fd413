// airlock users create|list|reset-totp|disable|set-password — local console users against the store.
// Passwords come from stdin (one line), never the command line.

import { AirlockError } from '../../errors.ts';
import { toJsonObject } from '../../http/stages/record.ts';
import { usersConfigSchema } from '../../identity/users/config.ts';
import { createUsersPlane } from '../../identity/users/open-users.ts';
import { publicUser, type UserEvent } from '../../identity/users/user-service.ts';
import { configSection, openCliVault, readAll, stdinOf, trimNewline } from '../../secrets/cli-support.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import { openCliRuntime } from '../runtime.ts';
import type { CliCommand } from '../types.ts';

const usage = `usage:
  airlock users create       --config FILE --name NAME --role admin|user [--json]   (password on stdin)
  airlock users list         --config FILE [--json]
  airlock users reset-totp   --config FILE NAME|ID [--json]
  airlock users disable      --config FILE NAME|ID [--json]
  airlock users set-password --config FILE NAME|ID [--json]                        (password on stdin)
Admins must enrol TOTP at their first login (POST /admin/v1/users/me/totp) before they get a session.
reset-totp, disable and set-password end every session of the user.`;

const subs = ['create', 'list', 'reset-totp', 'disable', 'set-password'];

export const usersCommand: CliCommand = {
  name: 'users',
  summary: 'create, list, disable local console users and reset their TOTP',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (!sub || !subs.includes(sub)) throw new UsageError(`expected ${subs.join(', ')}`);
    const { values, positionals } = parseFlags(
      rest,
      {
        config: { type: 'string' },
        name: { type: 'string' },
        role: { type: 'string' },
        json: { type: 'boolean' },
      },
      1,
    );
    const configPath = requireFlag(values.config, 'config');
    if (sub === 'create' && values.role !== 'admin' && values.role !== 'user')
      throw new UsageError('--role takes admin or user');
    const target = positionals[0];
    if (['reset-totp', 'disable', 'set-password'].includes(sub) && !target)
      throw new UsageError('expected a user NAME or ID');
    const password =
      sub === 'create' || sub === 'set-password'
        ? trimNewline(await readAll(stdinOf(io), 4096)).toString('utf8')
        : undefined;

    const runtime = await openCliRuntime(configPath, io);
    const out = (json: Record<string, unknown>, text: string) => {
      if (values.json) printJson(io.stdout, json);
      else io.stdout.write(`${text}\n`);
    };
    try {
      const parsed = usersConfigSchema.safeParse(configSection(runtime, 'users'));
      if (!parsed.success)
        throw new AirlockError('config_invalid', {
          detail: `users: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        });
      const opened = await openCliVault(runtime, io);
      const actor = `cli:${io.env.USER ?? 'unknown'}`;
      try {
        const { users } = createUsersPlane(parsed.data, {
          connection: opened.connection,
          vault: opened.vault,
          onEvent: async (e: UserEvent) => {
            await runtime.audit.append({
              type: 'admin.change',
              outcome: 'info',
              detail: toJsonObject({ change: e.type, ...e }),
            });
          },
        });
        if (sub === 'create') {
          const u = await users.create({
            name: requireFlag(values.name, 'name'),
            role: values.role as 'admin' | 'user',
            password: password!,
            actor,
          });
          out(
            { user: u },
            `created ${u.name} (${u.role}) ${u.id}${u.role === 'admin' ? ' — TOTP enrolment required at first login' : ''}`,
          );
          return 0;
        }
        if (sub === 'list') {
          const list = await users.list();
          if (values.json) printJson(io.stdout, { users: list });
          else
            for (const u of list)
              io.stdout.write(
                `${u.id}  ${u.name}  ${u.role}  mfa ${u.mfa}${u.disabledAt ? '  DISABLED' : ''}\n`,
              );
          return 0;
        }
        const user = await users.get(target!);
        if (!user) throw new AirlockError('invalid_request', { detail: `no user ${target}` });
        if (sub === 'reset-totp') await users.resetTotp(user.id, actor);
        else if (sub === 'disable') await users.disable(user.id, actor);
        else await users.setPassword(user.id, password!, actor);
        const after = publicUser((await users.get(user.id))!);
        out({ user: after }, `${sub} ${after.name}: done; sessions ended`);
        return 0;
      } finally {
        await opened.close();
      }
    } finally {
      await runtime.close();
    }
  },
};
