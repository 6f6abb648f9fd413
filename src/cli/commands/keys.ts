// airlock keys create|list|revoke|rotate — API key lifecycle straight against the store.
import { durationMs } from '../../config/duration.ts';
import { createKeyServiceFor } from '../../gateway.ts';
import { publicKeyView } from '../../http/admin-surface.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import { openCliRuntime } from '../runtime.ts';
import type { CliCommand } from '../types.ts';

const usage = `usage:
  airlock keys create --config FILE --owner NAME --ttl 24h [--models a,b] [--endpoints chat,models] [--admin] [--json]
  airlock keys list   --config FILE [--owner NAME] [--all] [--json]
  airlock keys revoke --config FILE ID [--json]
  airlock keys rotate --config FILE ID [--json]
Keys are shown once, at create and rotate. --ttl is required and bounded by keys.maxTtl.`;

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'create, list, revoke and rotate API keys',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const flags = {
      config: { type: 'string' },
      owner: { type: 'string' },
      ttl: { type: 'string' },
      models: { type: 'string' },
      endpoints: { type: 'string' },
      admin: { type: 'boolean' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
    } as const;
    if (!sub || !['create', 'list', 'revoke', 'rotate'].includes(sub))
      throw new UsageError('expected create, list, revoke or rotate');
    const { values, positionals } = parseFlags(rest, flags, 1);
    const runtime = await openCliRuntime(requireFlag(values.config, 'config'), io);
    try {
      const keys = createKeyServiceFor(runtime.loaded.config, {
        store: runtime.store,
        dataDir: runtime.loaded.dataDir,
        audit: runtime.audit,
      });
      const actor = `cli:${io.env.USER ?? 'unknown'}`;
      if (sub === 'create') {
        const ttl = requireFlag(values.ttl, 'ttl');
        if (!/^\d+(ms|s|m|h|d)$/.test(ttl)) throw new UsageError('--ttl takes a duration such as 24h or 30d');
        const created = await keys.create({
          owner: requireFlag(values.owner, 'owner'),
          kind: values.admin ? 'admin' : 'client',
          models: list(values.models),
          endpoints: list(values.endpoints),
          ttlMs: durationMs(ttl),
          actor,
        });
        const out = {
          id: created.id,
          key: created.key,
          prefix: created.prefix,
          expiresAt: created.expiresAt.toISOString(),
        };
        if (values.json) printJson(io.stdout, out);
        else io.stdout.write(`created ${out.id} (expires ${out.expiresAt})\nkey (shown once): ${out.key}\n`);
        return 0;
      }
      if (sub === 'list') {
        const rows = (await keys.list({ owner: values.owner, includeRevoked: values.all === true })).map(
          publicKeyView,
        );
        if (values.json) printJson(io.stdout, { keys: rows });
        else
          for (const r of rows)
            io.stdout.write(
              `${r.id}  ${r.prefix}…  ${r.owner}  ${r.kind}  expires ${r.expiresAt}${r.revokedAt ? '  REVOKED' : ''}\n`,
            );
        return 0;
      }
      const id = positionals[0];
      if (!id) throw new UsageError('expected a key id');
      if (sub === 'revoke') {
        await keys.revoke(id, actor);
        if (values.json) printJson(io.stdout, { id, revoked: true });
        else io.stdout.write(`revoked ${id}\n`);
        return 0;
      }
      const r = await keys.rotate(id, actor);
      const out = {
        id: r.id,
        key: r.key,
        prefix: r.prefix,
        expiresAt: r.expiresAt.toISOString(),
        replaces: id,
        oldExpiresAt: r.oldExpiresAt.toISOString(),
      };
      if (values.json) printJson(io.stdout, out);
      else
        io.stdout.write(
          `rotated ${id} → ${out.id}; old key works until ${out.oldExpiresAt}\nnew key (shown once): ${out.key}\n`,
        );
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
