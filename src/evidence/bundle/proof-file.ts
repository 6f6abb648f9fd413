// Single-entry proofs in the c2sp.org/tlog-proof@v1 text format: header line, optional `extra` line,
// `index N`, the RFC 6962 §2.1.1 audit path one base64 hash per line, an empty line, then the signed
// checkpoint verbatim. airlock puts the entry's canonical bytes (base64) in `extra`: unauthenticated by
// itself, but its leaf hash is bound to the signed root by the proof, so a changed entry fails.
import { decodeEntry } from '../entry.ts';
import { leafHash } from '../merkle/hash.ts';
import { verifyInclusion } from '../merkle/verify.ts';
import { openCheckpoint } from '../note/checkpoint.ts';
import { parseVkey } from '../note/signed-note.ts';
import type { AuditEntry, AuditLogReader, Checkpoint } from '../types.ts';

const HEADER = 'c2sp.org/tlog-proof@v1';

export function formatProofFile(p: {
  index: number;
  proof: readonly Uint8Array[];
  checkpoint: Checkpoint;
  entry?: Uint8Array;
}): string {
  const lines = [HEADER];
  if (p.entry !== undefined) lines.push(`extra ${Buffer.from(p.entry).toString('base64')}`);
  lines.push(`index ${p.index}`, ...p.proof.map((h) => Buffer.from(h).toString('base64')));
  return `${lines.join('\n')}\n\n${p.checkpoint.note}`;
}

/** Build the proof file for entry `index` against `checkpoint` (which must cover it). */
export async function proveEntry(
  log: AuditLogReader,
  index: number,
  checkpoint: Checkpoint,
): Promise<string> {
  const [row] = await log.entries(index, index + 1);
  if (row === undefined) throw new RangeError(`entry ${index} does not exist`);
  const proof = await log.inclusionProof(index, checkpoint.size);
  return formatProofFile({ index, proof, checkpoint, entry: row.data });
}

export type ProofResult =
  | { readonly ok: true; readonly index: number; readonly size: number; readonly entry?: AuditEntry }
  | { readonly ok: false; readonly reason: string };

/** Verify a proof file with the log's vkey; `entry` overrides the bytes carried in `extra`. */
export function verifyProofFile(text: string, opts: { publicKey: string; entry?: Uint8Array }): ProofResult {
  const split = text.indexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'proof has no checkpoint' };
  const head = text.slice(0, split).split('\n');
  if (head[0] !== HEADER) return { ok: false, reason: `first line is not ${HEADER}` };
  let at = 1;
  let extra: Buffer | undefined;
  if (head[at]?.startsWith('extra ')) extra = Buffer.from(head[at++]!.slice(6), 'base64');
  const m = /^index (0|[1-9][0-9]*)$/.exec(head[at++] ?? '');
  if (m === null) return { ok: false, reason: 'missing or malformed index line' };
  const index = Number(m[1]);
  const proof = head.slice(at).map((l) => Buffer.from(l, 'base64'));
  const cp = openCheckpoint(text.slice(split + 2), parseVkey(opts.publicKey));
  if (!cp.ok) return { ok: false, reason: cp.reason };
  const data = opts.entry ?? extra;
  if (data === undefined)
    return { ok: false, reason: 'no entry bytes: pass the entry or use a proof with extra data' };
  const r = verifyInclusion(index, cp.checkpoint.size, leafHash(data), proof, cp.checkpoint.root);
  if (!r.ok) return { ok: false, reason: r.reason };
  let entry: AuditEntry | undefined;
  try {
    entry = decodeEntry(data).entry;
  } catch {
    entry = undefined;
  }
  if (entry !== undefined && entry.index !== index) {
    return { ok: false, reason: `entry carries index ${entry.index}, proof is for ${index}` };
  }
  return entry === undefined
    ? { ok: true, index, size: cp.checkpoint.size }
    : { ok: true, index, size: cp.checkpoint.size, entry };
}
