// The vault's master key lives outside the database (DESIGN §4): either a 0600 file, or a key derived
// from a passphrase with argon2id (RFC 9106) whose salt and parameters are stored in the vault meta
// row. The passphrase comes from an environment variable or an inherited file descriptor — never the
// command line, where `ps` and shell history would show it.
import { argon2, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, readSync } from 'node:fs';
import { inspect } from 'node:util';
import { AirlockError } from '../errors.ts';
import { KEY_BYTES, keyCheck } from './envelope.ts';
import { ensureSecretFile, readSecretFile } from './secret-files.ts';

/** How the master key is obtained; stored in vault_meta (no secret in it). */
export type MasterKeyDescriptor =
  | { readonly kind: 'file' }
  | {
      readonly kind: 'argon2id';
      /** base64 */
      readonly salt: string;
      /** KiB */
      readonly memory: number;
      readonly passes: number;
      readonly parallelism: number;
    };

/** OWASP Password Storage Cheat Sheet floor for argon2id: 19 MiB, 2 iterations. */
export const ARGON2_MIN = { memory: 19_456, passes: 2 } as const;

/** Holds the key in a private field; printing, logging or serialising it shows nothing. */
export class MasterKey {
  readonly #key: Buffer;
  readonly descriptor: MasterKeyDescriptor;
  readonly check: string;

  constructor(key: Buffer, descriptor: MasterKeyDescriptor) {
    if (key.length !== KEY_BYTES)
      throw new AirlockError('vault_unavailable', { detail: 'master key is not 32 bytes' });
    this.#key = Buffer.from(key);
    this.descriptor = descriptor;
    this.check = keyCheck(this.#key);
  }

  /** The raw key, for the envelope functions only. */
  bytes(): Buffer {
    return this.#key;
  }

  destroy(): void {
    this.#key.fill(0);
  }

  toJSON(): string {
    return '[MasterKey redacted]';
  }

  [inspect.custom](): string {
    return '[MasterKey redacted]';
  }
}

/**
 * Reads a master key file: 32 raw bytes, or 64 hex / 44 base64 characters (trailing newline allowed).
 * Refused unless 0600 (group or others able to read it = no longer a secret). With `create`, a missing
 * file is created with 32 random bytes — only ever when the vault has no meta row yet.
 */
export function loadMasterKeyFile(path: string, opts: { create?: boolean } = {}): MasterKey {
  let raw: Buffer;
  try {
    raw = opts.create && !existsSync(path) ? ensureSecretFile(path, KEY_BYTES) : readSecretFile(path);
  } catch (err) {
    const detail = err instanceof AirlockError ? err.detail : (err as Error).message;
    throw new AirlockError('vault_unavailable', { detail: `master key: ${detail}` });
  }
  return new MasterKey(parseKeyBytes(raw, path), { kind: 'file' });
}

function parseKeyBytes(raw: Buffer, where: string): Buffer {
  if (raw.length === KEY_BYTES) return raw;
  const text = raw.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, 'base64');
  throw new AirlockError('vault_unavailable', {
    detail: `master key ${where} must hold 32 bytes (raw, 64 hex or base64 characters)`,
  });
}

export function newArgon2Descriptor(params: {
  memory: number;
  passes: number;
  parallelism: number;
}): MasterKeyDescriptor {
  return { kind: 'argon2id', salt: randomBytes(16).toString('base64'), ...params };
}

export async function deriveMasterKey(passphrase: Buffer, d: MasterKeyDescriptor): Promise<MasterKey> {
  if (d.kind !== 'argon2id')
    throw new AirlockError('vault_unavailable', { detail: 'not a passphrase vault' });
  if (d.memory < ARGON2_MIN.memory || d.passes < ARGON2_MIN.passes)
    throw new AirlockError('vault_unavailable', { detail: 'stored argon2id parameters are below the floor' });
  if (passphrase.length < 12)
    throw new AirlockError('vault_unavailable', { detail: 'vault passphrase is shorter than 12 bytes' });
  const key = await new Promise<Buffer>((resolve, reject) =>
    argon2(
      'argon2id',
      {
        message: passphrase,
        nonce: Buffer.from(d.salt, 'base64'),
        parallelism: d.parallelism,
        tagLength: KEY_BYTES,
        memory: d.memory,
        passes: d.passes,
      },
      (err, out) => (err ? reject(err) : resolve(out)),
    ),
  );
  try {
    return new MasterKey(key, d);
  } finally {
    key.fill(0);
  }
}

/** Reads the passphrase from an inherited file descriptor (to EOF) or an environment variable. */
export function readPassphrase(source: { env?: string; fd?: number }, env: NodeJS.ProcessEnv): Buffer {
  if (source.fd !== undefined) {
    try {
      fstatSync(source.fd);
      const chunks: Buffer[] = [];
      const buf = Buffer.alloc(4096);
      for (;;) {
        const n = readSync(source.fd, buf, 0, buf.length, null);
        if (n === 0) break;
        chunks.push(Buffer.from(buf.subarray(0, n)));
      }
      buf.fill(0);
      closeSync(source.fd);
      return trimNewline(Buffer.concat(chunks));
    } catch (err) {
      throw new AirlockError('vault_unavailable', {
        detail: `cannot read the vault passphrase from fd ${source.fd}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      });
    }
  }
  const name = source.env ?? 'AIRLOCK_VAULT_PASSPHRASE';
  const value = env[name];
  if (value === undefined || value === '')
    throw new AirlockError('vault_unavailable', { detail: `vault passphrase: ${name} is not set` });
  return Buffer.from(value, 'utf8');
}

function trimNewline(b: Buffer): Buffer {
  let end = b.length;
  if (end > 0 && b[end - 1] === 0x0a) end--;
  if (end > 0 && b[end - 1] === 0x0d) end--;
  return b.subarray(0, end);
}
