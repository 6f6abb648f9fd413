// Output-side inspection of OpenAI-format responses: whole JSON bodies (choices[].message.content,
// tool-call arguments, choices[].text) and streamed chunks, where one stream scanner per choice and
// per tool call holds back a tail window so a secret split across deltas is still caught.
import { decide, resolveAction, type Verdict } from './actions.ts';
import type { ActionPolicy } from './config.ts';
import type { DlpEngine } from './engine.ts';
import { applyRedactions } from './redact.ts';
import { createStreamScanner, type StreamScanner } from './stream-scanner.ts';
import type { Finding } from './types.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface OutputInspection {
  readonly findings: Finding[];
  /** A finding's action was block: the response must not reach the client. */
  readonly blocked: boolean;
}

/** Inspects and redacts a JSON response in place (the object is the gateway's own parsed copy). */
export function inspectResponseBody(engine: DlpEngine, body: Json, policy?: ActionPolicy): OutputInspection {
  const findings: Finding[] = [];
  let blocked = false;
  const check = (text: string, field: string): string => {
    const found = engine.scan(text, field);
    if (found.length === 0) return text;
    findings.push(...found);
    const verdict: Verdict = decide(found, 'output', policy);
    if (verdict.kind === 'block') blocked = true;
    return verdict.kind === 'redact' ? applyRedactions(text, verdict.redactions).text : text;
  };
  const choices = Array.isArray(body.choices) ? body.choices : [];
  choices.forEach((choice, i) => {
    if (!isObject(choice)) return;
    if (typeof choice.text === 'string') choice.text = check(choice.text, `choices[${i}].text`);
    const message = choice.message;
    if (!isObject(message)) return;
    if (typeof message.content === 'string')
      message.content = check(message.content, `choices[${i}].message.content`);
    if (Array.isArray(message.tool_calls)) {
      message.tool_calls.forEach((call, k) => {
        const fn = isObject(call) ? call.function : undefined;
        if (isObject(fn) && typeof fn.arguments === 'string')
          fn.arguments = check(fn.arguments, `choices[${i}].message.tool_calls[${k}].function.arguments`);
      });
    }
  });
  return { findings, blocked };
}

/** Per-stream transformer: rewrites each chunk's text deltas to what is safe to release. */
export interface StreamInspector {
  /** Mutates the chunk; returns the findings released with it and whether the stream must stop. */
  inspectChunk(chunk: Json): OutputInspection;
}

export function createStreamInspector(
  engine: DlpEngine,
  opts: { policy?: ActionPolicy; holdback?: number; minRelease?: number } = {},
): StreamInspector {
  const scanners = new Map<string, StreamScanner>();
  const action = (f: Finding) => resolveAction(f, 'output', opts.policy);
  const scannerFor = (key: string, field: string) => {
    let s = scanners.get(key);
    if (!s) {
      s = createStreamScanner(engine, {
        field,
        action,
        ...(opts.holdback !== undefined ? { holdback: opts.holdback } : {}),
        ...(opts.minRelease !== undefined ? { minRelease: opts.minRelease } : {}),
      });
      scanners.set(key, s);
    }
    return s;
  };

  return {
    inspectChunk(chunk) {
      const findings: Finding[] = [];
      let blocked = false;
      const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
      for (const choice of choices) {
        if (!isObject(choice)) continue;
        const i = typeof choice.index === 'number' ? choice.index : 0;
        const pass = (key: string, field: string, text: string): string => {
          const out = scannerFor(key, field).push(text);
          findings.push(...out.findings);
          if (out.blocked) blocked = true;
          return out.text;
        };
        const delta = isObject(choice.delta) ? choice.delta : undefined;
        if (delta) {
          if (typeof delta.content === 'string')
            delta.content = pass(`${i}:content`, `choices[${i}].delta.content`, delta.content);
          if (Array.isArray(delta.tool_calls)) {
            for (const call of delta.tool_calls) {
              const fn = isObject(call) ? call.function : undefined;
              const k = isObject(call) && typeof call.index === 'number' ? call.index : 0;
              if (isObject(fn) && typeof fn.arguments === 'string')
                fn.arguments = pass(
                  `${i}:tool:${k}`,
                  `choices[${i}].delta.tool_calls[${k}].function.arguments`,
                  fn.arguments,
                );
            }
          }
        } else if (typeof choice.text === 'string') {
          choice.text = pass(`${i}:text`, `choices[${i}].text`, choice.text);
        }
        // The choice ends with this chunk: release whatever its scanners still hold, into this chunk.
        if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
          for (const [key, scanner] of scanners) {
            if (!key.startsWith(`${i}:`)) continue;
            scanners.delete(key);
            const out = scanner.flush();
            findings.push(...out.findings);
            if (out.blocked) blocked = true;
            if (out.text === '') continue;
            const [, kind, k] = key.split(':');
            if (kind === 'text')
              choice.text = (typeof choice.text === 'string' ? choice.text : '') + out.text;
            else {
              const d = isObject(choice.delta) ? choice.delta : (choice.delta = {});
              if (kind === 'content') d.content = (typeof d.content === 'string' ? d.content : '') + out.text;
              else {
                const calls = Array.isArray(d.tool_calls) ? d.tool_calls : (d.tool_calls = []);
                calls.push({ index: Number(k), function: { arguments: out.text } });
              }
            }
          }
        }
      }
      return { findings, blocked };
    },
  };
}
