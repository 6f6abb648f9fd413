// Finds the inspectable text in OpenAI-format request bodies (chat messages with string or
// multi-part content, tool-call arguments, tool results, completion prompts, embedding inputs),
// each with a field path such as `messages[2].content[0].text`, and writes redactions back.

import type { Actions } from './actions.ts';
import { decide } from './actions.ts';
import type { DlpEngine } from './engine.ts';
import { applyRedactions } from './redact.ts';
import type { Direction, Finding } from './types.ts';

export interface TextSlot {
  readonly path: string;
  readonly text: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function contentSlots(content: unknown, path: string, out: TextSlot[]): void {
  if (typeof content === 'string') out.push({ path, text: content });
  else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      if (typeof part === 'string') out.push({ path: `${path}[${j}]`, text: part });
      else if (isObject(part) && typeof part['text'] === 'string')
        out.push({ path: `${path}[${j}].text`, text: part['text'] });
    });
  }
}

function stringOrArray(value: unknown, path: string, out: TextSlot[]): void {
  if (typeof value === 'string') out.push({ path, text: value });
  else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v === 'string') out.push({ path: `${path}[${i}]`, text: v });
    });
  }
}

/** Every string the model (or tool) will read, with its path. Token-id arrays are not text. */
export function extractOpenAiTexts(body: Json): TextSlot[] {
  const out: TextSlot[] = [];
  if (Array.isArray(body['messages'])) {
    body['messages'].forEach((msg, i) => {
      if (!isObject(msg)) return;
      contentSlots(msg['content'], `messages[${i}].content`, out);
      if (Array.isArray(msg['tool_calls'])) {
        msg['tool_calls'].forEach((call, k) => {
          const fn = isObject(call) ? call['function'] : undefined;
          if (isObject(fn) && typeof fn['arguments'] === 'string') {
            out.push({ path: `messages[${i}].tool_calls[${k}].function.arguments`, text: fn['arguments'] });
          }
        });
      }
      const legacy = msg['function_call'];
      if (isObject(legacy) && typeof legacy['arguments'] === 'string') {
        out.push({ path: `messages[${i}].function_call.arguments`, text: legacy['arguments'] });
      }
    });
  }
  stringOrArray(body['prompt'], 'prompt', out);
  stringOrArray(body['suffix'], 'suffix', out);
  stringOrArray(body['input'], 'input', out);
  return out;
}

function parsePath(path: string): (string | number)[] {
  const keys: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    keys.push(m[2] === undefined ? m[1]! : Number(m[2]));
  return keys;
}

/** A copy of `body` with the strings at the given paths replaced. Paths come from extractOpenAiTexts. */
export function replaceOpenAiTexts(body: Json, replacements: ReadonlyMap<string, string>): Json {
  const copy = structuredClone(body);
  for (const [path, text] of replacements) {
    const keys = parsePath(path);
    let node: unknown = copy;
    for (let i = 0; i < keys.length - 1; i++) node = (node as Record<string | number, unknown>)[keys[i]!];
    (node as Record<string | number, unknown>)[keys.at(-1)!] = text;
  }
  return copy;
}

export interface BodyInspection {
  readonly outcome: 'pass' | 'redact' | 'block';
  /** The body to forward (redacted copy when outcome is `redact`; the original otherwise). */
  readonly body: Json;
  readonly findings: readonly Finding[];
}

/** Scans every text slot, decides per the action policy and applies redactions. */
export function inspectOpenAiBody(
  engine: DlpEngine,
  body: Json,
  direction: Direction,
  policy?: Actions,
): BodyInspection {
  const findings: Finding[] = [];
  const replacements = new Map<string, string>();
  let outcome: BodyInspection['outcome'] = 'pass';
  for (const slot of extractOpenAiTexts(body)) {
    const found = engine.scan(slot.text, slot.path);
    if (found.length === 0) continue;
    findings.push(...found);
    const verdict = decide(found, direction, policy);
    if (verdict.kind === 'block') outcome = 'block';
    else if (verdict.kind === 'redact') {
      replacements.set(slot.path, applyRedactions(slot.text, verdict.redactions).text);
      if (outcome === 'pass') outcome = 'redact';
    }
  }
  if (outcome === 'block') return { outcome, body, findings };
  return { outcome, body: replacements.size > 0 ? replaceOpenAiTexts(body, replacements) : body, findings };
}
