// DLP over a prompt's arguments and messages and a resource's contents: every string scanned with
// the request's actions; redactions written back, blocking findings collected (the caller refuses).
// Image/audio `data` of results is not text and is not scanned; a result `blob` is decoded and scanned
// when it is small text (result-blob.ts), a redaction re-encoded; on input (a prompt's arguments) every key and value is text the server reads, so all are scanned.
import { type Actions, decide } from '../dlp/actions.ts';
import type { DlpEngine } from '../dlp/engine.ts';
import { applyRedactions } from '../dlp/redact.ts';
import type { Finding } from '../dlp/types.ts';
import { AirlockError } from '../errors.ts';
import { visitBlob } from './result-blob.ts';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const SAFE_KEY = /^[A-Za-z0-9_$-]{1,64}$/;

/** A key as it may appear in a finding's field path (which the audit log records): a key that held
 *  a finding, or an odd one, is never echoed. */
export const keyLabel = (key: string, hadFinding: boolean): string =>
  !hadFinding && SAFE_KEY.test(key) ? key : '*';

/** Every string of a JSON value scanned, keys too; redactions written back; result image/audio
 *  data skipped, a result blob scanned when it is small text. */
export function scanContent(
  engine: DlpEngine,
  actions: Actions | undefined,
  value: unknown,
  root: string,
  direction: 'input' | 'output',
) {
  const findings: Finding[] = [];
  const blocking: Finding[] = [];
  /** A key is text the server (or client) reads too; it cannot be redacted (renamed) safely, so a
   *  finding in it is recorded, and blocks when the policy says so. True when it held one. */
  const scanKey = (k: string, path: string): boolean => {
    const found = engine.scan(k, `${path}{key}`);
    if (found.length === 0) return false;
    findings.push(...found);
    const verdict = decide(found, direction, actions);
    if (verdict.kind === 'block') blocking.push(...verdict.blocking);
    return true;
  };
  const scanText = (v: string, path: string): string => {
    const found = engine.scan(v, path);
    if (found.length === 0) return v;
    findings.push(...found);
    const verdict = decide(found, direction, actions);
    if (verdict.kind === 'block') blocking.push(...verdict.blocking);
    return verdict.kind === 'redact' ? applyRedactions(v, verdict.redactions).text : v;
  };
  const maxBlob = engine.config?.base64?.maxDecodedBytes ?? 64 * 1024;
  const walk = (v: unknown, path: string, depth: number): unknown => {
    if (depth > 64) throw new AirlockError('invalid_request', { publicDetail: 'value nests too deeply.' });
    if (typeof v === 'string') return scanText(v, path);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`, depth + 1));
    if (isObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const output = direction === 'output';
        if (output && k === 'data' && (v.type === 'image' || v.type === 'audio')) out[k] = x;
        else if (output && k === 'blob' && typeof x === 'string')
          out[k] = visitBlob(x, v.mimeType, maxBlob, `${path}.blob`, scanText) ?? x;
        else out[k] = walk(x, `${path}.${keyLabel(k, scanKey(k, path))}`, depth + 1);
      }
      return out;
    }
    return v;
  };
  return { value: walk(value, root, 0), findings, blocking };
}
