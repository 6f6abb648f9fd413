// Server secrets kept outside the database as files readable only by their owner (0600).
// `secret:NAME` references in the config resolve to <dataDir>/secrets/NAME. A file that others can
// read is refused: a secret that leaked on disk is not a secret.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AirlockError } from '../errors.ts';

export function secretsDir(dataDir: string): string {
  return join(dataDir, 'secrets');
}

export function readSecretFile(path: string): Buffer {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new AirlockError('config_invalid', { detail: `secret file ${path} is missing` });
  }
  if ((mode & 0o077) !== 0) {
    throw new AirlockError('config_invalid', {
      detail: `secret file ${path} is readable by group or others; run chmod 600 ${path}`,
    });
  }
  return readFileSync(path);
}

/** Creates a random secret file if absent (0600, folder 0700). Returns its bytes. */
export function ensureSecretFile(path: string, bytes = 32): Buffer {
  if (existsSync(path)) return readSecretFile(path);
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const value = randomBytes(bytes);
  writeFileSync(path, value, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return value;
}

/** Resolves `secret:NAME` to the secret's text (trailing newline trimmed). */
export function createSecretResolver(dataDir: string): (ref: string) => string {
  return (ref) => {
    const m = /^secret:([A-Za-z0-9_.-]+)$/.exec(ref);
    if (!m) throw new AirlockError('config_invalid', { detail: `not a secret reference: use secret:NAME` });
    return readSecretFile(join(secretsDir(dataDir), m[1]!))
      .toString('utf8')
      .replace(/\r?\n$/, '');
  };
}
