// k-of-n witness policy: a checkpoint is trusted when the log signed it and at least k distinct
// configured witnesses cosigned this exact note text (c2sp.org/tlog-cosignature v1). That defeats a
// split view unless k witnesses collude with the log. Cosignature lines by unknown keys are ignored;
// a line that claims a configured witness (name and key id) but does not verify rejects the whole
// note: it can only come from tampering, and a verifier must fail closed on it.
import { openCheckpoint } from '../note/checkpoint.ts';
import type { NoteVerifier } from '../note/signed-note.ts';
import { parseVkey } from '../note/signed-note.ts';
import type { Checkpoint } from '../types.ts';
import type { CosignerVerifier } from './cosignature.ts';
import { claimsCosigner, parseCosignerVkey, splitNote, verifyCosignature } from './cosignature.ts';

export interface CosignedVerdict {
  readonly ok: boolean;
  /** Why not ok, in one line. */
  readonly reason?: string;
  /** Which check failed: a verifier may treat a forged cosignature differently from a missing one. */
  readonly failure?: 'log-signature' | 'malformed' | 'invalid-cosignature' | 'below-quorum';
  readonly checkpoint?: Checkpoint;
  /** Configured witnesses whose cosignature verified, with their cosignature time (unix seconds). */
  readonly cosigners: readonly { readonly name: string; readonly time: number }[];
  readonly k: number;
  readonly n: number;
}

export interface WitnessPolicy {
  readonly witnesses: readonly CosignerVerifier[];
  readonly k: number;
}

/** Parse witness keys and k once (e.g. at start-up); duplicate public keys count as one witness. */
export function witnessPolicy(witnessVkeys: readonly string[], k: number): WitnessPolicy {
  const seen = new Map<string, CosignerVerifier>();
  for (const vkey of witnessVkeys) {
    const v = parseCosignerVkey(vkey);
    const id = Buffer.from(v.publicKey).toString('hex');
    if (!seen.has(id)) seen.set(id, v);
  }
  const witnesses = [...seen.values()];
  if (!Number.isInteger(k) || k < 1 || k > witnesses.length) {
    throw new RangeError(`k must be between 1 and the ${witnesses.length} distinct witness keys, got ${k}`);
  }
  return { witnesses, k };
}

export function verifyCosignedCheckpoint(
  note: string,
  logVkey: string | NoteVerifier,
  witnessVkeys: readonly string[] | WitnessPolicy,
  k?: number,
): CosignedVerdict {
  const policy = Array.isArray(witnessVkeys)
    ? witnessPolicy(witnessVkeys, k ?? Number.NaN)
    : (witnessVkeys as WitnessPolicy);
  const base = { k: policy.k, n: policy.witnesses.length };
  const log = typeof logVkey === 'string' ? parseVkey(logVkey) : logVkey;
  const opened = openCheckpoint(note, log);
  if (!opened.ok)
    return {
      ok: false,
      reason: `log signature: ${opened.reason}`,
      failure: 'log-signature',
      cosigners: [],
      ...base,
    };
  const split = splitNote(note);
  if (!split.ok) return { ok: false, reason: split.reason, failure: 'malformed', cosigners: [], ...base };
  const cosigners: { name: string; time: number }[] = [];
  for (const w of policy.witnesses) {
    let time: number | undefined;
    for (const sig of split.signatures) {
      if (!claimsCosigner(sig, w)) continue;
      const check = verifyCosignature(w, split.text, sig);
      if (!check.ok) {
        return {
          ok: false,
          reason: check.reason,
          failure: 'invalid-cosignature',
          checkpoint: opened.checkpoint,
          cosigners: [],
          ...base,
        };
      }
      time = Math.max(time ?? 0, check.time);
    }
    if (time !== undefined) cosigners.push({ name: w.name, time });
  }
  const ok = cosigners.length >= policy.k;
  return {
    ok,
    ...(ok
      ? {}
      : {
          reason: `${cosigners.length} of ${policy.k} required witness cosignatures`,
          failure: 'below-quorum',
        }),
    checkpoint: opened.checkpoint,
    cosigners,
    ...base,
  };
}
