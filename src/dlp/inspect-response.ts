// Output-side inspection of OpenAI-format responses: whole JSON bodies (choices[].message.content,
// tool-call arguments, choices[].text) and streamed chunks, where one stream scanner per choice
// holds back a tail window so a secret split across deltas is still caught, and tool-call
// arguments are held until the call is complete and scanned whole.

import type { Actions } from './actions.ts';
import { decide, resolveAction, type Verdict } from './actions.ts';
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
export function inspectResponseBody(engine: DlpEngine, body: Json, policy?: Actions): OutputInspection {
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

/** A tool call's arguments: released whole once the call is complete, never as fragments. */
interface PendingCall {
  readonly field: string;
  /** Arguments already released (kept so a late fragment is scanned with what came before). */
  released: string;
  pending: string;
}

function deltaOf(choice: Json): Json {
  if (!isObject(choice.delta)) choice.delta = {};
  return choice.delta as Json;
}

function toolCallsOf(delta: Json): unknown[] {
  if (!Array.isArray(delta.tool_calls)) delta.tool_calls = [];
  return delta.tool_calls as unknown[];
}

/**
 * Content and completion text go through one stream scanner per choice: only the tail that could
 * still become a match is held back. Tool-call arguments are held whole until the call is complete
 * — the choice finishes, or a call with a new index starts — then scanned as one text and released
 * in that chunk (a tool call is acted on only once complete, so this costs the client no time).
 */
export function createStreamInspector(
  engine: DlpEngine,
  opts: { policy?: Actions; holdback?: number; minRelease?: number } = {},
): StreamInspector {
  const scanners = new Map<string, StreamScanner>();
  /** choice index → tool-call index (-1: the legacy function_call) → its arguments */
  const calls = new Map<number, Map<number, PendingCall>>();
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

  /** Scans a completed call's arguments (with what was already released, for context) and
   *  returns the text to release now. */
  function complete(call: PendingCall, findings: Finding[]): { text: string; blocked: boolean } {
    const offset = call.released.length;
    const whole = call.released + call.pending;
    const found = engine.scan(whole, call.field).filter((f) => f.end > offset);
    call.released = whole;
    const pending = call.pending;
    call.pending = '';
    if (found.length === 0) return { text: pending, blocked: false };
    findings.push(...found);
    const verdict = decide(found, 'output', opts.policy);
    if (verdict.kind === 'block') return { text: '', blocked: true };
    if (verdict.kind === 'pass') return { text: pending, blocked: false };
    const shifted = verdict.redactions.map((r) => ({
      ...r,
      start: Math.max(r.start, offset) - offset,
      end: r.end - offset,
    }));
    return { text: applyRedactions(pending, shifted).text, blocked: false };
  }

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
        let open = calls.get(i);
        if (open === undefined) {
          open = new Map();
          calls.set(i, open);
        }
        const hold = (k: number, field: string, fragment: string) => {
          let call = open.get(k);
          if (call === undefined) {
            call = { field, released: '', pending: '' };
            open.set(k, call);
          }
          call.pending += fragment;
        };
        /** Completed calls' arguments as tool_calls entries (only those with something to say). */
        const release = (which: (k: number) => boolean): Json[] => {
          const entries: Json[] = [];
          for (const [k, call] of open) {
            if (!which(k) || call.pending === '') continue;
            const out = complete(call, findings);
            if (out.blocked) blocked = true;
            else if (k >= 0) entries.push({ index: k, function: { arguments: out.text } });
            else entries.push({ legacy: out.text });
          }
          return entries;
        };

        const delta = isObject(choice.delta) ? choice.delta : undefined;
        if (delta) {
          if (typeof delta.content === 'string')
            delta.content = pass(`${i}:content`, `choices[${i}].delta.content`, delta.content);
          if (Array.isArray(delta.tool_calls)) {
            const rewritten: unknown[] = [];
            for (const call of delta.tool_calls) {
              const k = isObject(call) && typeof call.index === 'number' ? call.index : 0;
              // A new index means every call before it is complete: release them first.
              if (!open.has(k)) rewritten.push(...release((j) => j !== k && j >= 0));
              const fn = isObject(call) ? call.function : undefined;
              if (isObject(fn) && typeof fn.arguments === 'string') {
                hold(k, `choices[${i}].delta.tool_calls[${k}].function.arguments`, fn.arguments);
                fn.arguments = '';
              }
              rewritten.push(call);
            }
            delta.tool_calls = rewritten;
          }
          const legacy = delta.function_call;
          if (isObject(legacy) && typeof legacy.arguments === 'string') {
            hold(-1, `choices[${i}].delta.function_call.arguments`, legacy.arguments);
            legacy.arguments = '';
          }
        } else if (typeof choice.text === 'string') {
          choice.text = pass(`${i}:text`, `choices[${i}].text`, choice.text);
        }

        // The choice ends with this chunk: release whatever is still held, into this chunk.
        if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
          for (const [key, scanner] of scanners) {
            if (!key.startsWith(`${i}:`)) continue;
            scanners.delete(key);
            const out = scanner.flush();
            findings.push(...out.findings);
            if (out.blocked) blocked = true;
            if (out.text === '') continue;
            if (key.endsWith(':text'))
              choice.text = (typeof choice.text === 'string' ? choice.text : '') + out.text;
            else {
              const d = deltaOf(choice);
              d.content = (typeof d.content === 'string' ? d.content : '') + out.text;
            }
          }
          for (const entry of release(() => true)) {
            const d = deltaOf(choice);
            if (typeof entry.legacy === 'string') {
              const fc = isObject(d.function_call) ? d.function_call : {};
              fc.arguments = (typeof fc.arguments === 'string' ? fc.arguments : '') + entry.legacy;
              d.function_call = fc;
            } else toolCallsOf(d).push(entry);
          }
          calls.delete(i);
        }
      }
      return { findings, blocked };
    },
  };
}
