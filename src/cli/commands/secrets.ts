// airlock secrets set|list|rotate|retire|delete|rewrap — the vault straight against the store.
// Values come from a file or stdin, never the command line, and are never printed.
import { renameSync, rmSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { AirlockError } from '../../errors.ts';
import { toJsonObject } from '../../http/stages/record.ts';
import { openCliVault, readValue, vaultConfigOf } from '../../secrets/cli-support.ts';
import {
  deriveMasterKey,
  loadMasterKeyFile,
  newArgon2Descriptor,
  readPassphrase,
} from '../../secrets/master-key.ts';
import type { Vault, VaultEvent } from '../../secrets/vault.ts';
import { INTERNAL_PREFIX } from '../../secrets/vault-resolver.ts';
import { parseFlags, printJson, requireFlag, UsageError } from '../args.ts';
import { openCliRuntime } from '../runtime.ts';
import type { CliCommand } from '../types.ts';

const usage = `usage:
  airlock secrets set    NAME (--from-file FILE | --from-stdin) --config FILE [--json]
  airlock secrets rotate NAME (--from-file FILE | --from-stdin) --config FILE [--json]
  airlock secrets list   --config FILE [--json]
  airlock secrets retire NAME --version N --config FILE [--json]
  airlock secrets delete NAME --config FILE [--json]
  airlock secrets rewrap --config FILE [--new-passphrase-env VAR] [--json]
Values are read from a file or stdin (one trailing newline dropped) and never printed. rotate keeps
older versions readable by version until they are retired. rewrap rotates the master key: with a key
file, a new one is generated and replaces <dataDir>/secrets/master.key after the re-wrap commits.`;

const subs = ['set', 'rotate', 'list', 'retire', 'delete', 'rewrap'];

export const secretsCommand: CliCommand = {
  name: 'secrets',
  summary: 'store, rotate and delete secrets in the encrypted vault',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (!sub || !subs.includes(sub)) throw new UsageError(`expected ${subs.join(', ')}`);
    const { values, positionals } = parseFlags(
      rest,
      {
        config: { type: 'string' },
        'from-file': { type: 'string' },
        'from-stdin': { type: 'boolean' },
        version: { type: 'string' },
        'new-passphrase-env': { type: 'string' },
        json: { type: 'boolean' },
      },
      1,
    );
    const configPath = requireFlag(values.config, 'config');
    const name = positionals[0];
    if (['set', 'rotate', 'retire', 'delete'].includes(sub) && !name)
      throw new UsageError('expected a secret NAME');
    if (['list', 'rewrap'].includes(sub) && name) throw new UsageError(`unexpected argument ${name}`);
    // TOTP seeds and task-token signing keys live under `airlock.`; changing them by hand would lock
    // users out or end every task token, so only airlock writes them (list still shows them).
    if (name?.startsWith(INTERNAL_PREFIX))
      throw new UsageError(
        `${INTERNAL_PREFIX}* secrets are managed by airlock (TOTP seeds, task-token signing keys)`,
      );
    // Read the value before opening anything, so a usage mistake leaves no trace.
    const value =
      sub === 'set' || sub === 'rotate'
        ? await readValue(io, {
            ...(values['from-file'] !== undefined ? { fromFile: values['from-file'] } : {}),
            fromStdin: values['from-stdin'] === true,
          })
        : undefined;
    const runtime = await openCliRuntime(configPath, io);
    const out = (json: Record<string, unknown>, text: string) => {
      if (values.json) printJson(io.stdout, json);
      else io.stdout.write(`${text}\n`);
    };
    try {
      const opened = await openCliVault(runtime, io);
      const actor = `cli:${io.env.USER ?? 'unknown'}`;
      const pending: Promise<void>[] = [];
      opened.vault.onEvent((e: VaultEvent) => {
        pending.push(
          runtime.audit
            .append({
              type: 'admin.change',
              outcome: 'info',
              detail: toJsonObject({ change: e.type, actor, ...e }),
            })
            .then(() => {}),
        );
      });
      try {
        if (sub === 'set' || sub === 'rotate') {
          const r =
            sub === 'set' ? await opened.vault.put(name!, value!) : await opened.vault.rotate(name!, value!);
          value!.fill(0);
          out(r, `${sub === 'set' ? 'stored' : 'rotated'} ${r.name} version ${r.version}`);
        } else if (sub === 'list') {
          const secrets = await opened.vault.list();
          if (values.json) printJson(io.stdout, { secrets });
          else
            for (const s of secrets)
              io.stdout.write(
                `${s.name}  current v${s.current ?? '-'}  versions ${s.versions.map((v) => `${v.version}${v.retiredAt ? '(retired)' : ''}`).join(',')}  created ${s.versions[0]?.createdAt}\n`,
              );
        } else if (sub === 'retire') {
          const version = Number(requireFlag(values.version, 'version'));
          if (!Number.isSafeInteger(version) || version < 1)
            throw new UsageError('--version takes a positive integer');
          await opened.vault.retire(name!, version);
          out({ name, version, retired: true }, `retired ${name} version ${version}`);
        } else if (sub === 'delete') {
          await opened.vault.delete(name!);
          out({ name, deleted: true }, `deleted ${name} (every version)`);
        } else {
          const r = await rewrap(runtime, io, opened.vault, values['new-passphrase-env']);
          out(r, `re-wrapped ${r.rewrapped} secret version(s) under a new master key (${r.kind})`);
        }
        await Promise.all(pending);
      } finally {
        await opened.close();
      }
      return 0;
    } finally {
      await runtime.close();
    }
  },
};

async function rewrap(
  runtime: Awaited<ReturnType<typeof openCliRuntime>>,
  io: Parameters<CliCommand['run']>[1],
  vault: Vault,
  passphraseEnv: string | undefined,
): Promise<{ rewrapped: number; kind: string }> {
  const config = vaultConfigOf(runtime);
  if (config.masterKey.kind === 'passphrase') {
    if (!passphraseEnv)
      throw new UsageError('a passphrase vault needs --new-passphrase-env VAR naming the new passphrase');
    const passphrase = readPassphrase({ env: passphraseEnv }, io.env);
    try {
      const k = config.masterKey.kdf;
      const next = await deriveMasterKey(
        passphrase,
        newArgon2Descriptor({ memory: k.memoryKiB, passes: k.passes, parallelism: k.parallelism }),
      );
      const { rewrapped } = await vault.rewrap(next);
      return { rewrapped, kind: 'passphrase; set the new passphrase in the gateway environment' };
    } finally {
      passphrase.fill(0);
    }
  }
  if (passphraseEnv) throw new UsageError('--new-passphrase-env is for passphrase vaults');
  const path = isAbsolute(config.masterKey.path)
    ? config.masterKey.path
    : resolve(runtime.loaded.dataDir, config.masterKey.path);
  const staged = `${path}.new`;
  rmSync(staged, { force: true });
  // The new key is on disk (0600) before the database commits, so a crash in between loses nothing:
  // the staged file is then the key that opens the vault.
  const next = loadMasterKeyFile(staged, { create: true });
  try {
    const { rewrapped } = await vault.rewrap(next);
    renameSync(staged, path);
    return { rewrapped, kind: 'key file replaced' };
  } catch (err) {
    rmSync(staged, { force: true });
    throw err instanceof AirlockError ? err : new AirlockError('vault_unavailable', { cause: err });
  }
}
