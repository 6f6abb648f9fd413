// C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures (signature type 0x01).
// A note is text ending in a newline, a blank line, then lines "— <name> <base64(keyid || sig)>".
// The key id is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || pubkey), big-endian.
import { createHash, createPublicKey, verify } from 'node:crypto';

const ED25519_TYPE = 0x01;
const SIG_PREFIX = '\u2014 ';
/** Raw Ed25519 public keys are wrapped in this SPKI DER prefix for node:crypto (RFC 8410 §4). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  const h = createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ED25519_TYPE]))
    .update(publicKey)
    .digest();
  return h.subarray(0, 4);
}

/** A key name must be non-empty and contain neither Unicode spaces nor '+' (signed-note §Format). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

export function formatVkey(name: string, publicKey: Uint8Array): string {
  const id = Buffer.from(noteKeyId(name, publicKey)).toString('hex');
  return `${name}+${id}+${Buffer.concat([Buffer.from([ED25519_TYPE]), publicKey]).toString('base64')}`;
}

/** Parse `name+hash+base64(0x01||pubkey)`; rejects a key whose id does not match its contents. */
export function parseVkey(vkey: string): NoteVerifier {
  const parts = splitPlus(vkey.trim(), 3);
  if (parts === undefined) throw new Error('verifier key must be name+keyid+base64key');
  const [name, idHex, b64] = parts as [string, string, string];
  const raw = Buffer.from(b64, 'base64');
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(idHex))
    throw new Error('verifier key name or id is malformed');
  if (raw.length !== 33 || raw[0] !== ED25519_TYPE) throw new Error('verifier key is not an Ed25519 key');
  const publicKey = raw.subarray(1);
  const keyId = noteKeyId(name, publicKey);
  if (Buffer.from(keyId).toString('hex') !== idHex) throw new Error('verifier key id does not match the key');
  return { name, keyId, publicKey };
}

/** Split on the first n-1 '+' signs: the base64 key material may itself contain '+'. */
export function splitPlus(text: string, n: number): string[] | undefined {
  const out: string[] = [];
  let rest = text;
  for (let i = 0; i < n - 1; i++) {
    const at = rest.indexOf('+');
    if (at < 0) return undefined;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  out.push(rest);
  return out;
}

/** Sign `text` (must end in a newline and contain no blank line) and return the full note. */
export function signNote(
  text: string,
  signer: { name: string; keyId: Uint8Array; sign(m: Uint8Array): Uint8Array },
): string {
  if (!text.endsWith('\n') || text.includes('\n\n')) throw new Error('note text must end in one newline');
  const sig = signer.sign(Buffer.from(text, 'utf8'));
  const line = Buffer.concat([signer.keyId, sig]).toString('base64');
  return `${text}\n${SIG_PREFIX}${signer.name} ${line}\n`;
}

export type OpenResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Verify a note against one trusted key. Signatures from unknown keys are ignored (witness cosignatures
 * may be present); a signature that claims the trusted name and key id but fails rejects the note.
 */
export function openNote(note: string, verifier: NoteVerifier): OpenResult {
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note))
    return { ok: false, reason: 'note contains control characters' };
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return { ok: false, reason: 'note has no signature block' };
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  const key = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, verifier.publicKey]),
    format: 'der',
    type: 'spki',
  });
  let verified = false;
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) return { ok: false, reason: 'malformed signature line' };
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.lastIndexOf(' ');
    if (space <= 0) return { ok: false, reason: 'malformed signature line' };
    const name = rest.slice(0, space);
    const sig = Buffer.from(rest.slice(space + 1), 'base64');
    if (sig.length < 5) return { ok: false, reason: 'malformed signature' };
    if (name !== verifier.name || Buffer.compare(sig.subarray(0, 4), verifier.keyId) !== 0) continue;
    if (!verify(null, Buffer.from(text, 'utf8'), key, sig.subarray(4))) {
      return { ok: false, reason: `invalid signature by ${name}` };
    }
    verified = true;
  }
  return verified ? { ok: true, text } : { ok: false, reason: `no signature by ${verifier.name}` };
}
