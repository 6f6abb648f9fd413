// The witness's own Ed25519 key file: `PRIVATE+KEY+<name>+<keyid>+base64(0x04||seed)`, the signed-note
// private key encoding with the cosignature/v1 type byte (so the key id is the cosigner key id). The
// file is created 0600 (parent 0700) on first start, never overwritten, and refused when group or
// others may read it: whoever holds it can cosign any checkpoint in this witness's name.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { splitPlus } from '../note/signed-note.ts';
import { KeyFileError, signerFromSeed } from '../note/signer-key.ts';
import type { Cosigner } from './cosignature.ts';
import { COSIGNATURE_V1_TYPE, cosignerKeyId, makeCosigner } from './cosignature.ts';

export function cosignerFromSeed(name: string, seed: Uint8Array): Cosigner {
  const ed = signerFromSeed(name, seed);
  return makeCosigner(name, ed.publicKey, ed.sign);
}

export function formatWitnessKey(name: string, seed: Uint8Array): string {
  const c = cosignerFromSeed(name, seed);
  const id = Buffer.from(cosignerKeyId(name, c.publicKey)).toString('hex');
  const key = Buffer.concat([Buffer.from([COSIGNATURE_V1_TYPE]), seed]).toString('base64');
  return `PRIVATE+KEY+${name}+${id}+${key}\n`;
}

export function parseWitnessKey(text: string): Cosigner {
  const parts = splitPlus(text.trim(), 5);
  if (parts === undefined || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    throw new KeyFileError('not a PRIVATE+KEY+name+id+key witness key');
  }
  const raw = Buffer.from(parts[4]!, 'base64');
  if (raw.length !== 33 || raw[0] !== COSIGNATURE_V1_TYPE) {
    throw new KeyFileError('not an Ed25519 cosignature/v1 witness key (type 0x04)');
  }
  const cosigner = cosignerFromSeed(parts[2]!, raw.subarray(1));
  if (Buffer.from(cosigner.keyId).toString('hex') !== parts[3])
    throw new KeyFileError('witness key id does not match');
  return cosigner;
}

/** Load the witness key at `path`, or create one named `name` when absent. */
export function loadOrCreateWitnessKey(path: string, name: string): { cosigner: Cosigner; created: boolean } {
  let text: string | undefined;
  try {
    const st = statSync(path);
    if ((st.mode & 0o077) !== 0) {
      throw new KeyFileError(
        `${path} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`,
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    const cosigner = parseWitnessKey(text);
    if (cosigner.name !== name) {
      throw new KeyFileError(
        `${path} holds a witness key named ${cosigner.name}, but the config names ${name}`,
      );
    }
    return { cosigner, created: false };
  }
  const seed = randomBytes(32);
  const cosigner = cosignerFromSeed(name, seed);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, formatWitnessKey(name, seed));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { cosigner, created: true };
}
