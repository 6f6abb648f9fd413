// C2SP tlog-cosignature v1 with Ed25519 (c2sp.org/tlog-cosignature): a witness's timestamped note
// signature over a checkpoint. The signed message is
//   "cosignature/v1\ntime <unix seconds>\n" || <checkpoint note text, final newline included>
// and the signature line is `— <name> base64(keyid[4] || u64be(time) || ed25519 sig[64])`, where
// keyid = SHA-256(<name> || "\n" || 0x04 || pubkey)[:4]. The 0x04 type byte and the header line give
// domain separation from the log's own 0x01 note signatures, so one key can never be replayed as the other.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { isValidKeyName, splitPlus } from '../note/signed-note.ts';

export const COSIGNATURE_V1_TYPE = 0x04;
const SIG_PREFIX = '\u2014 ';
const SIG_LENGTH = 4 + 8 + 64;
const MAX_TIME = 2n ** 63n - 1n;
/** Raw Ed25519 public keys are wrapped in this SPKI DER prefix for node:crypto (RFC 8410 §4). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A witness public key: what a log operator or auditor configures to trust a witness. */
export interface CosignerVerifier {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly publicKey: Uint8Array;
  /** `name+hex(keyid)+base64(0x04||pubkey)` (signed-note verifier key with the cosignature type). */
  readonly vkey: string;
}

/** A witness signing key. */
export interface Cosigner extends CosignerVerifier {
  /** The signature line (without newline) cosigning `text` (a checkpoint note body) at `time`. */
  cosign(text: string, time: number): string;
}

export function cosignerKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, COSIGNATURE_V1_TYPE]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

export function formatCosignerVkey(name: string, publicKey: Uint8Array): string {
  const id = Buffer.from(cosignerKeyId(name, publicKey)).toString('hex');
  const key = Buffer.concat([Buffer.from([COSIGNATURE_V1_TYPE]), publicKey]).toString('base64');
  return `${name}+${id}+${key}`;
}

/** Parse a witness vkey; rejects other key types (a log's 0x01 key is not a cosigner key) and bad ids. */
export function parseCosignerVkey(vkey: string): CosignerVerifier {
  const parts = splitPlus(vkey.trim(), 3);
  if (parts === undefined) throw new Error('witness key must be name+keyid+base64key');
  const [name, idHex, b64] = parts as [string, string, string];
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(idHex))
    throw new Error('witness key name or id is malformed');
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 33 || raw[0] !== COSIGNATURE_V1_TYPE) {
    throw new Error('witness key is not an Ed25519 cosignature/v1 key (type 0x04)');
  }
  const publicKey = raw.subarray(1);
  const keyId = cosignerKeyId(name, publicKey);
  if (Buffer.from(keyId).toString('hex') !== idHex) throw new Error('witness key id does not match the key');
  return { name, keyId, publicKey, vkey: formatCosignerVkey(name, publicKey) };
}

export function cosignatureMessage(text: string, time: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${text}`, 'utf8');
}

/** Build a cosigner from a key name, its public key and an Ed25519 `sign` function. */
export function makeCosigner(
  name: string,
  publicKey: Uint8Array,
  sign: (message: Uint8Array) => Uint8Array,
): Cosigner {
  const keyId = cosignerKeyId(name, publicKey);
  return {
    name,
    keyId,
    publicKey,
    vkey: formatCosignerVkey(name, publicKey),
    cosign(text, time) {
      if (!Number.isSafeInteger(time) || time < 0) throw new RangeError('cosignature time must be >= 0');
      const ts = Buffer.alloc(8);
      ts.writeBigUInt64BE(BigInt(time));
      const sig = sign(cosignatureMessage(text, time));
      return `${SIG_PREFIX}${name} ${Buffer.concat([keyId, ts, sig]).toString('base64')}`;
    },
  };
}

export interface NoteSignature {
  readonly name: string;
  readonly bytes: Buffer;
}

export type SplitNote =
  | { readonly ok: true; readonly text: string; readonly signatures: readonly NoteSignature[] }
  | { readonly ok: false; readonly reason: string };

/** Split a signed note into its text (with final newline) and signature lines, as c2sp.org/signed-note. */
export function splitNote(note: string): SplitNote {
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note))
    return { ok: false, reason: 'note contains control characters' };
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return { ok: false, reason: 'note has no signature block' };
  const signatures: NoteSignature[] = [];
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const parsed = parseSignatureLine(line);
    if (parsed === undefined) return { ok: false, reason: 'malformed signature line' };
    signatures.push(parsed);
  }
  return { ok: true, text: note.slice(0, split + 1), signatures };
}

export function parseSignatureLine(line: string): NoteSignature | undefined {
  if (!line.startsWith(SIG_PREFIX)) return undefined;
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.lastIndexOf(' ');
  if (space <= 0) return undefined;
  const b64 = rest.slice(space + 1);
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length < 5 || bytes.toString('base64') !== b64) return undefined;
  return { name: rest.slice(0, space), bytes };
}

/** Does this signature line claim to be by `verifier` (same name and key id)? */
export function claimsCosigner(sig: NoteSignature, verifier: CosignerVerifier): boolean {
  return sig.name === verifier.name && Buffer.compare(sig.bytes.subarray(0, 4), verifier.keyId) === 0;
}

export type CosignatureCheck =
  | { readonly ok: true; readonly time: number }
  | { readonly ok: false; readonly reason: string };

/** Verify one cosignature (already matched to `verifier` by name and key id) over note text `text`. */
export function verifyCosignature(
  verifier: CosignerVerifier,
  text: string,
  sig: NoteSignature,
): CosignatureCheck {
  if (sig.bytes.length !== SIG_LENGTH)
    return { ok: false, reason: `cosignature by ${verifier.name} has the wrong length` };
  const time = sig.bytes.readBigUInt64BE(4);
  if (time > MAX_TIME)
    return { ok: false, reason: `cosignature by ${verifier.name} has an out-of-range time` };
  const key = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, verifier.publicKey]),
    format: 'der',
    type: 'spki',
  });
  const message = Buffer.from(`cosignature/v1\ntime ${time}\n${text}`, 'utf8');
  if (!verify(null, message, key, sig.bytes.subarray(12))) {
    return { ok: false, reason: `invalid cosignature by ${verifier.name}` };
  }
  return { ok: true, time: Number(time) };
}
