// What the `secrets` and `users` commands share: the vault and users config sections (read from the
// loaded config until the lead mounts them in the config schema), the vault over the CLI's store, and
// reading values from stdin or a file — never from the command line, where `ps` and shell history
// would keep them.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { CliRuntime } from '../cli/runtime.ts';
import type { CliIo } from '../cli/types.ts';
import { AirlockError } from '../errors.ts';
import { type OpenedVault, openVault } from './open-vault.ts';
import { type VaultConfig, vaultConfigSchema } from './vault-config.ts';

/** Largest value accepted from stdin or a file. */
export const MAX_VALUE_BYTES = 64 * 1024;

export function configSection(runtime: CliRuntime, key: string): unknown {
  return (runtime.loaded.config as unknown as Record<string, unknown>)[key] ?? {};
}

export function vaultConfigOf(runtime: CliRuntime): VaultConfig {
  const parsed = vaultConfigSchema.safeParse(configSection(runtime, 'vault'));
  if (!parsed.success)
    throw new AirlockError('config_invalid', {
      detail: `vault: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    });
  return parsed.data;
}

export function openCliVault(runtime: CliRuntime, io: CliIo): Promise<OpenedVault> {
  return openVault(vaultConfigOf(runtime), {
    dataDir: runtime.loaded.dataDir,
    env: io.env,
    store: runtime.loaded.config.store,
  });
}

/** stdin for commands: CliIo.stdin when the runner provides one, else the process's. */
export function stdinOf(io: CliIo): Readable {
  return (io as CliIo & { readonly stdin?: Readable }).stdin ?? process.stdin;
}

export async function readAll(stream: Readable, limit = MAX_VALUE_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > limit)
      throw new AirlockError('invalid_request', { detail: `value is larger than ${limit} bytes` });
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** One trailing newline is dropped, as the secret-file resolver does (`echo x |` adds one). */
export function trimNewline(b: Buffer): Buffer {
  let end = b.length;
  if (end > 0 && b[end - 1] === 0x0a) end--;
  if (end > 0 && b[end - 1] === 0x0d) end--;
  return b.subarray(0, end);
}

export async function readValue(
  io: CliIo,
  opts: { fromFile?: string; fromStdin?: boolean },
): Promise<Buffer> {
  if ((opts.fromFile === undefined) === (opts.fromStdin !== true))
    throw new AirlockError('invalid_request', {
      detail: 'give exactly one of --from-file FILE or --from-stdin',
    });
  const raw = opts.fromFile !== undefined ? readFileSync(opts.fromFile) : await readAll(stdinOf(io));
  if (raw.length > MAX_VALUE_BYTES)
    throw new AirlockError('invalid_request', { detail: `value is larger than ${MAX_VALUE_BYTES} bytes` });
  const value = trimNewline(raw);
  if (value.length === 0) throw new AirlockError('invalid_request', { detail: 'the value is empty' });
  return value;
}
