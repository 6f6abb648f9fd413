// c2sp.org/tlog-checkpoint bodies: origin line, decimal tree size, base64 root hash, then optional
// extension lines. Carried inside a signed note (signed-note.ts).
import { HASH_SIZE } from '../merkle/hash.ts';
import type { Checkpoint } from '../types.ts';
import type { NoteVerifier } from './signed-note.ts';
import { openNote, signNote } from './signed-note.ts';

export function checkpointText(origin: string, size: number, root: Uint8Array): string {
  return `${origin}\n${size}\n${Buffer.from(root).toString('base64')}\n`;
}

export function signCheckpoint(
  signer: { name: string; keyId: Uint8Array; sign(m: Uint8Array): Uint8Array },
  size: number,
  root: Uint8Array,
): Checkpoint {
  const note = signNote(checkpointText(signer.name, size, root), signer);
  return { origin: signer.name, size, root, note };
}

export type CheckpointResult =
  | { readonly ok: true; readonly checkpoint: Checkpoint }
  | { readonly ok: false; readonly reason: string };

/** Verify the note signature, then parse the body; the origin must equal the verifier's key name. */
export function openCheckpoint(note: string, verifier: NoteVerifier): CheckpointResult {
  const opened = openNote(note, verifier);
  if (!opened.ok) return opened;
  const lines = opened.text.slice(0, -1).split('\n');
  if (lines.length < 3) return { ok: false, reason: 'checkpoint body has fewer than three lines' };
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin !== verifier.name)
    return { ok: false, reason: `checkpoint origin ${origin} is not ${verifier.name}` };
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    return { ok: false, reason: 'checkpoint size is not a decimal integer' };
  }
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== HASH_SIZE || root.toString('base64') !== rootText) {
    return { ok: false, reason: 'checkpoint root is not a base64 SHA-256 hash' };
  }
  return { ok: true, checkpoint: { origin, size: Number(sizeText), root, note } };
}
