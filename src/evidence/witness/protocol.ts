// Wire format of c2sp.org/tlog-witness `POST <prefix>/add-checkpoint`, shared by the witness and its
// clients. Request body: "old <size>\n", zero to 63 base64 consistency-proof lines, an empty line, then
// the signed checkpoint note. 409 responses carry the witness's size as "<size>\n" (text/x.tlog.size);
// 200 responses carry one or more note signature lines.
import { HASH_SIZE } from '../merkle/hash.ts';

export const ADD_CHECKPOINT_PATH = '/add-checkpoint';
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';
export const MAX_PROOF_LINES = 63;
/** Old-size line, 63 proof lines and a checkpoint with a handful of signatures fit well inside this. */
export const MAX_REQUEST_BYTES = 64 * 1024;

const DECIMAL = /^(0|[1-9][0-9]*)$/;

export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Uint8Array[];
  readonly note: string;
}

export type ParsedRequest =
  | ({ readonly ok: true } & AddCheckpointRequest)
  | { readonly ok: false; readonly reason: string };

export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parseAddCheckpoint(body: string): ParsedRequest {
  const firstEnd = body.indexOf('\n');
  if (firstEnd < 0) return { ok: false, reason: 'missing old size line' };
  const first = body.slice(0, firstEnd);
  const oldSize = first.startsWith('old ') ? parseDecimal(first.slice(4)) : undefined;
  if (oldSize === undefined) return { ok: false, reason: 'first line must be "old <decimal size>"' };
  const proof: Uint8Array[] = [];
  let at = firstEnd + 1;
  for (;;) {
    const end = body.indexOf('\n', at);
    if (end < 0) return { ok: false, reason: 'missing empty line before the checkpoint' };
    const line = body.slice(at, end);
    at = end + 1;
    if (line === '') break;
    if (proof.length === MAX_PROOF_LINES)
      return { ok: false, reason: `more than ${MAX_PROOF_LINES} proof lines` };
    const hash = Buffer.from(line, 'base64');
    if (hash.length !== HASH_SIZE || hash.toString('base64') !== line) {
      return { ok: false, reason: 'a consistency proof line is not a base64 SHA-256 hash' };
    }
    proof.push(hash);
  }
  const note = body.slice(at);
  if (note === '') return { ok: false, reason: 'missing checkpoint' };
  return { ok: true, oldSize, proof, note };
}

export function formatAddCheckpoint(req: AddCheckpointRequest): string {
  const lines = req.proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('');
  return `old ${req.oldSize}\n${lines}\n${req.note}`;
}

/** The body of a 409: the witness's latest cosigned size, or undefined when malformed. */
export function parseSizeBody(body: string): number | undefined {
  return body.endsWith('\n') ? parseDecimal(body.slice(0, -1)) : undefined;
}
