// The witness decision, free of HTTP: c2sp.org/tlog-witness `add-checkpoint` semantics over a durable
// WitnessState. It cosigns a checkpoint only when (1) the origin is a log it is configured for (else
// 404), (2) the log's signature verifies with a configured key (else 403), (3) `old` equals the size it
// last cosigned for that origin (else 409 with its size), and (4) the RFC 6962 consistency proof from
// that size to the new one verifies (else 422). Rollbacks fail (3) or are malformed (old > size: 400);
// forks fail (4), or (3) with the same size and a different root, which is kept as evidence.
import { EMPTY_ROOT, hashEquals } from '../merkle/hash.ts';
import { verifyConsistency } from '../merkle/verify.ts';
import { openCheckpoint } from '../note/checkpoint.ts';
import type { NoteVerifier } from '../note/signed-note.ts';
import { openNote, parseVkey } from '../note/signed-note.ts';
import type { Checkpoint } from '../types.ts';
import type { Cosigner } from './cosignature.ts';
import { parseAddCheckpoint, TLOG_SIZE_CONTENT_TYPE } from './protocol.ts';
import type { WitnessHead, WitnessState } from './state.ts';

export interface WitnessReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export interface WitnessEvent {
  readonly event: 'cosigned' | 'refused';
  readonly status: number;
  readonly origin?: string;
  readonly size?: number;
  readonly reason?: string;
}

export interface WitnessDeps {
  readonly cosigner: Cosigner;
  /** Verifier keys of the logs this witness accepts; the key name is the log origin. */
  readonly logVkeys: readonly string[];
  readonly state: WitnessState;
  /** Clock for cosignature timestamps, in ms. */
  readonly now?: () => number;
  readonly onEvent?: (event: WitnessEvent) => void;
}

export interface Witness {
  readonly vkey: string;
  readonly origins: readonly string[];
  addCheckpoint(body: string): WitnessReply;
}

const TEXT = 'text/plain; charset=utf-8';

export function createWitness(deps: WitnessDeps): Witness {
  const byOrigin = new Map<string, NoteVerifier[]>();
  for (const vkey of deps.logVkeys) {
    const v = parseVkey(vkey);
    byOrigin.set(v.name, [...(byOrigin.get(v.name) ?? []), v]);
  }
  if (byOrigin.size === 0) throw new Error('a witness needs at least one log verifier key');
  const now = deps.now ?? Date.now;
  const emit = deps.onEvent ?? (() => {});

  const refuse = (status: number, reason: string, cp?: { origin: string; size: number }): WitnessReply => {
    emit({ event: 'refused', status, reason, ...(cp ? { origin: cp.origin, size: cp.size } : {}) });
    return { status, contentType: TEXT, body: `${reason}\n` };
  };
  const conflict = (cp: Checkpoint, head: number, reason: string): WitnessReply => {
    emit({ event: 'refused', status: 409, reason, origin: cp.origin, size: cp.size });
    return { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: `${head}\n` };
  };

  return {
    vkey: deps.cosigner.vkey,
    origins: [...byOrigin.keys()],
    addCheckpoint(body) {
      const req = parseAddCheckpoint(body);
      if (!req.ok) return refuse(400, req.reason);
      const origin = req.note.slice(0, Math.max(0, req.note.indexOf('\n')));
      const verifiers = byOrigin.get(origin);
      if (verifiers === undefined) return refuse(404, 'unknown log origin');
      const verifier = verifiers.find((v) => openNote(req.note, v).ok);
      if (verifier === undefined) return refuse(403, 'no signature by a trusted key of this log');
      const opened = openCheckpoint(req.note, verifier);
      if (!opened.ok) return refuse(400, opened.reason);
      const cp = opened.checkpoint;
      if (req.oldSize > cp.size)
        return refuse(400, `old size ${req.oldSize} exceeds checkpoint size ${cp.size}`, cp);
      const text = req.note.slice(0, req.note.lastIndexOf('\n\n') + 1);

      const outcome = deps.state.advance(origin, (stored) => {
        const head: WitnessHead = stored ?? { size: 0, root: EMPTY_ROOT, note: '' };
        if (req.oldSize !== head.size) {
          return {
            result: conflict(cp, head.size, `old size ${req.oldSize} is not the cosigned size ${head.size}`),
          };
        }
        if (cp.size === head.size) {
          if (!hashEquals(cp.root, head.root)) {
            // Two validly signed roots for one size: the log forked (split view). Keep both notes.
            return {
              fork: req.note,
              result: conflict(cp, head.size, `fork: a different root for size ${cp.size} was cosigned`),
            };
          }
          if (req.proof.length !== 0) return { result: refuse(422, 'equal sizes need an empty proof', cp) };
        } else if (head.size === 0) {
          if (req.proof.length !== 0)
            return { result: refuse(422, 'the proof from size 0 must be empty', cp) };
        } else {
          const check = verifyConsistency(head.size, cp.size, req.proof, head.root, cp.root);
          if (!check.ok) return { result: refuse(422, `consistency proof rejected: ${check.reason}`, cp) };
        }
        return { store: { size: cp.size, root: cp.root, note: req.note }, result: undefined };
      });
      if (outcome !== undefined) return outcome;
      // The new head is durable (synchronous=FULL commit) before anything is signed or sent.
      const line = deps.cosigner.cosign(text, Math.floor(now() / 1000));
      emit({ event: 'cosigned', status: 200, origin, size: cp.size });
      return { status: 200, contentType: TEXT, body: `${line}\n` };
    },
  };
}
