// The log's side of c2sp.org/tlog-witness: offer a checkpoint to each witness with a consistency proof
// from the size that witness last cosigned, and collect the cosignatures that verify. A witness that
// answers 409 tells us its size; we re-prove from there once. A witness ahead of the log (its size is
// larger than ours) or holding another root for our size has seen a different history: that is
// reported as a fork, never papered over.
import type { AuditLogReader, Checkpoint } from '../types.ts';
import type { CosignerVerifier } from './cosignature.ts';
import { claimsCosigner, parseCosignerVkey, parseSignatureLine, verifyCosignature } from './cosignature.ts';
import {
  ADD_CHECKPOINT_PATH,
  formatAddCheckpoint,
  MAX_REQUEST_BYTES,
  parseSizeBody,
  TLOG_SIZE_CONTENT_TYPE,
} from './protocol.ts';

export interface WitnessEndpoint {
  /** Submission prefix URL: the request goes to `<url>/add-checkpoint`. */
  readonly url: string;
  /** The witness public key (type 0x04), obtained out of band. */
  readonly vkey: string;
}

export type CosignOutcome =
  | { readonly ok: true; readonly witness: string; readonly line: string; readonly time: number }
  | {
      readonly ok: false;
      readonly witness: string;
      readonly reason: string;
      /** True when the witness has seen a history our log does not extend (rollback or fork). */
      readonly fork?: boolean;
      readonly status?: number;
    };

export interface SubmitOptions {
  /** The size this witness last cosigned, if known (saves a 409 round trip). */
  readonly knownSize?: number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

type Prover = Pick<AuditLogReader, 'consistencyProof'>;

/** Offer `checkpoint` to one witness and return its verified cosignature line. */
export async function requestCosignature(
  endpoint: WitnessEndpoint,
  log: Prover,
  checkpoint: Checkpoint,
  opts: SubmitOptions = {},
): Promise<CosignOutcome> {
  const verifier = parseCosignerVkey(endpoint.vkey);
  const fail = (reason: string, extra: { fork?: boolean; status?: number } = {}): CosignOutcome => ({
    ok: false,
    witness: verifier.name,
    reason,
    ...extra,
  });
  const doFetch = opts.fetch ?? fetch;
  const target = `${endpoint.url.replace(/\/+$/, '')}${ADD_CHECKPOINT_PATH}`;
  let old = opts.knownSize ?? 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (old > checkpoint.size) {
      return fail(`witness cosigned size ${old}, beyond this log's ${checkpoint.size}: rollback or fork`, {
        fork: true,
      });
    }
    let proof: Uint8Array[];
    try {
      proof = old === 0 || old === checkpoint.size ? [] : await log.consistencyProof(old, checkpoint.size);
    } catch (err) {
      return fail(`cannot prove consistency from ${old}: ${(err as Error).message}`);
    }
    let res: Response;
    let body: string;
    try {
      res = await doFetch(target, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: formatAddCheckpoint({ oldSize: old, proof, note: checkpoint.note }),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
      body = await readBounded(res);
    } catch (err) {
      return fail(`unreachable: ${(err as Error).message}`);
    }
    if (res.status === 200) return parseCosignatures(verifier, checkpoint, body);
    if (res.status === 409) {
      const size = (res.headers.get('content-type') ?? '').startsWith(TLOG_SIZE_CONTENT_TYPE)
        ? parseSizeBody(body)
        : undefined;
      if (size === undefined) return fail('409 without a tlog size body', { status: 409 });
      if (size === old) {
        return fail(`witness holds a different root for size ${size}: fork`, { fork: true, status: 409 });
      }
      old = size;
      continue;
    }
    return fail(`HTTP ${res.status}: ${body.split('\n')[0]?.slice(0, 200) ?? ''}`, { status: res.status });
  }
  return fail('witness kept answering 409', { status: 409 });
}

async function readBounded(res: Response): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body !== null) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > MAX_REQUEST_BYTES) throw new Error('response too large');
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseCosignatures(verifier: CosignerVerifier, checkpoint: Checkpoint, body: string): CosignOutcome {
  const text = checkpoint.note.slice(0, checkpoint.note.lastIndexOf('\n\n') + 1);
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const sig = parseSignatureLine(line);
    // Lines by other keys are ignored (a witness may return several cosignature types).
    if (sig === undefined || !claimsCosigner(sig, verifier)) continue;
    const check = verifyCosignature(verifier, text, sig);
    if (!check.ok) return { ok: false, witness: verifier.name, reason: check.reason, status: 200 };
    return { ok: true, witness: verifier.name, line, time: check.time };
  }
  return { ok: false, witness: verifier.name, reason: 'no cosignature by the configured key', status: 200 };
}

export interface CollectedCosignatures {
  readonly checkpoint: Checkpoint;
  /** The checkpoint note with every verified cosignature line appended. */
  readonly note: string;
  readonly outcomes: readonly CosignOutcome[];
  readonly cosigned: number;
}

/** Offer one checkpoint to every witness in parallel and merge the verified cosignatures into its note. */
export async function collectCosignatures(
  log: Prover,
  checkpoint: Checkpoint,
  witnesses: readonly WitnessEndpoint[],
  opts: { knownSizes?: ReadonlyMap<string, number>; timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<CollectedCosignatures> {
  const outcomes = await Promise.all(
    witnesses.map((w) =>
      requestCosignature(w, log, checkpoint, {
        ...(opts.knownSizes?.has(w.vkey) ? { knownSize: opts.knownSizes.get(w.vkey)! } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.fetch !== undefined ? { fetch: opts.fetch } : {}),
      }),
    ),
  );
  const lines = outcomes.flatMap((o) => (o.ok ? [`${o.line}\n`] : []));
  return { checkpoint, note: `${checkpoint.note}${lines.join('')}`, outcomes, cosigned: lines.length };
}
