// Password hashing with argon2id (RFC 9106) from node:crypto. The parameters travel with each hash as
// a PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash), so raising them later rehashes users at their
// next successful login (needsRehash) without invalidating anyone.
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Argon2Params {
  /** KiB. OWASP floor for argon2id: 19 MiB (19456 KiB) with 2 iterations. */
  readonly memory: number;
  readonly passes: number;
  readonly parallelism: number;
}

export const PASSWORD_FLOOR = { memory: 19_456, passes: 2 } as const;
export const DEFAULT_PASSWORD_PARAMS: Argon2Params = { memory: 19_456, passes: 2, parallelism: 1 };

/** Longer inputs are refused before hashing: argon2 cost grows with input, and no human types 1 KiB. */
export const MAX_PASSWORD_BYTES = 1024;
const TAG_BYTES = 32;

function derive(password: Buffer, salt: Buffer, p: Argon2Params, tagLength = TAG_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    argon2(
      'argon2id',
      {
        message: password,
        nonce: salt,
        memory: p.memory,
        passes: p.passes,
        parallelism: p.parallelism,
        tagLength,
      },
      (err, out) => (err ? reject(err) : resolve(out)),
    ),
  );
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

export async function hashPassword(
  password: string,
  params: Argon2Params = DEFAULT_PASSWORD_PARAMS,
): Promise<string> {
  if (params.memory < PASSWORD_FLOOR.memory || params.passes < PASSWORD_FLOOR.passes)
    throw new RangeError('argon2id parameters below the OWASP floor (19 MiB, 2 passes)');
  const salt = randomBytes(16);
  const tag = await derive(Buffer.from(password, 'utf8'), salt, params);
  return `$argon2id$v=19$m=${params.memory},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(tag)}`;
}

interface Parsed {
  readonly params: Argon2Params;
  readonly salt: Buffer;
  readonly tag: Buffer;
}

const PHC =
  /^\$argon2id\$v=19\$m=(\d{1,8}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;

export function parsePasswordHash(phc: string): Parsed | undefined {
  const m = PHC.exec(phc);
  if (!m) return undefined;
  const params = { memory: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]) };
  if (params.memory < PASSWORD_FLOOR.memory || params.passes < 1 || params.parallelism < 1) return undefined;
  return { params, salt: Buffer.from(m[4]!, 'base64'), tag: Buffer.from(m[5]!, 'base64') };
}

/** Constant-time comparison of the recomputed tag; a malformed hash verifies nothing. */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const parsed = parsePasswordHash(phc);
  if (!parsed) return false;
  const tag = await derive(Buffer.from(password, 'utf8'), parsed.salt, parsed.params, parsed.tag.length);
  return tag.length === parsed.tag.length && timingSafeEqual(tag, parsed.tag);
}

/** True when the stored hash used weaker parameters than `params` (or is unreadable). */
export function needsRehash(phc: string, params: Argon2Params): boolean {
  const parsed = parsePasswordHash(phc);
  if (!parsed) return true;
  const p = parsed.params;
  return p.memory < params.memory || p.passes < params.passes || p.parallelism !== params.parallelism;
}
