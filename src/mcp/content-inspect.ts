// DLP over a prompt's arguments and messages and a resource's contents: every string scanned with
// the request's actions; redactions written back, blocking findings collected (the caller refuses).
// Binary payloads (`blob`, image/audio `data`) are not text and are not scanned as such.
import { type Actions, decide } from '../dlp/actions.ts';
import type { DlpEngine } from '../dlp/engine.ts';
import { applyRedactions } from '../dlp/redact.ts';
import type { Finding } from '../dlp/types.ts';
import { AirlockError } from '../errors.ts';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every string of a JSON value scanned; redactions written back; binary (`blob`) skipped. */
export function scanContent(
  engine: DlpEngine,
  actions: Actions | undefined,
  value: unknown,
  root: string,
  direction: 'input' | 'output',
) {
  const findings: Finding[] = [];
  const blocking: Finding[] = [];
  const walk = (v: unknown, path: string, depth: number): unknown => {
    if (depth > 64) throw new AirlockError('invalid_request', { publicDetail: 'value nests too deeply.' });
    if (typeof v === 'string') {
      const found = engine.scan(v, path);
      if (found.length === 0) return v;
      findings.push(...found);
      const verdict = decide(found, direction, actions);
      if (verdict.kind === 'block') blocking.push(...verdict.blocking);
      return verdict.kind === 'redact' ? applyRedactions(v, verdict.redactions).text : v;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`, depth + 1));
    if (isObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v))
        out[k] =
          k === 'blob' || (k === 'data' && (v.type === 'image' || v.type === 'audio'))
            ? x
            : walk(x, `${path}.${k}`, depth + 1);
      return out;
    }
    return v;
  };
  return { value: walk(value, root, 0), findings, blocking };
}
