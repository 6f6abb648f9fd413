// The checkpoint signing key lives outside the database, in a file only the gateway user can read:
// whoever can read it can sign checkpoints for forged histories, so a file readable by group or others
// is refused rather than used. Format is the Go sumdb/note private key string
// `PRIVATE+KEY+<name>+<hex keyid>+<base64(0x01 || 32-byte Ed25519 seed)>` so standard tools can use it.
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { NoteSigner } from '../types.ts';
import { formatVkey, isValidKeyName, noteKeyId, splitPlus } from './signed-note.ts';

/** PKCS#8 DER prefix for a raw Ed25519 seed (RFC 8410 §7). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

/** Private keys of the signers made here, off the signer object so they are never enumerated or logged. */
const privateKeys = new WeakMap<NoteSigner, KeyObject>();

/**
 * The KeyObject behind a signer from this module (undefined for any other NoteSigner). A writer thread
 * receives it by structured clone and signs checkpoints inside its commit transaction.
 */
export function signerPrivateKey(signer: NoteSigner): KeyObject | undefined {
  return privateKeys.get(signer);
}

export function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  if (!isValidKeyName(name)) throw new KeyFileError(`invalid key name ${JSON.stringify(name)}`);
  if (seed.length !== 32) throw new KeyFileError('Ed25519 seed must be 32 bytes');
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const publicKey = Buffer.from(jwk.x!, 'base64url');
  const signer: NoteSigner = {
    name,
    keyId: noteKeyId(name, publicKey),
    publicKey,
    vkey: formatVkey(name, publicKey),
    sign: (message) => sign(null, message, privateKey),
  };
  privateKeys.set(signer, privateKey);
  return signer;
}

export function formatSignerKey(name: string, seed: Uint8Array): string {
  const s = signerFromSeed(name, seed);
  const id = Buffer.from(s.keyId).toString('hex');
  return `PRIVATE+KEY+${name}+${id}+${Buffer.concat([Buffer.from([0x01]), seed]).toString('base64')}\n`;
}

export function parseSignerKey(text: string): NoteSigner {
  const parts = splitPlus(text.trim(), 5);
  if (parts === undefined || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    throw new KeyFileError('not a PRIVATE+KEY+name+id+key signing key');
  }
  const raw = Buffer.from(parts[4]!, 'base64');
  if (raw.length !== 33 || raw[0] !== 0x01) throw new KeyFileError('signing key is not an Ed25519 key');
  const signer = signerFromSeed(parts[2]!, raw.subarray(1));
  if (Buffer.from(signer.keyId).toString('hex') !== parts[3])
    throw new KeyFileError('signing key id does not match');
  return signer;
}

/** Load an existing signing key, refusing a file group or others may access (and, if given, another origin). */
export function loadSignerKey(path: string, origin?: string): NoteSigner {
  const st = statSync(path);
  if ((st.mode & 0o077) !== 0) {
    throw new KeyFileError(
      `${path} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`,
    );
  }
  const signer = parseSignerKey(readFileSync(path, 'utf8'));
  if (origin !== undefined && signer.name !== origin) {
    throw new KeyFileError(`${path} holds a key for ${signer.name}, but the audit origin is ${origin}`);
  }
  return signer;
}

/**
 * Load the signing key at `path`, or create one for `origin` (mode 0600, parent 0700) when absent.
 * Refuses a file that group or others may access, and a key whose name is not `origin`.
 */
export function loadOrCreateSignerKey(path: string, origin: string): NoteSigner {
  try {
    return loadSignerKey(path, origin);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const seed = randomBytes(32);
  writeSecretFile(path, formatSignerKey(origin, seed));
  return signerFromSeed(origin, seed);
}

/** Create a 0600 file (parent 0700) exclusively and fsync it: never overwrite an existing key. */
function writeSecretFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Load or create a 32-byte secret (hex, 0600) such as the body-hash HMAC key for hashBody(). */
export function loadOrCreateSecretKey(path: string): Uint8Array {
  try {
    const st = statSync(path);
    if ((st.mode & 0o077) !== 0)
      throw new KeyFileError(`${path} is accessible by group or others; chmod 600`);
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new KeyFileError(`${path} does not hold a 32-byte hex key`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  writeSecretFile(path, `${key.toString('hex')}\n`);
  return key;
}
