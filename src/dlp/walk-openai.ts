// Finds the inspectable text in OpenAI-format request bodies (chat messages with string or
// multi-part content, tool-call arguments, tool results, completion prompts, embedding inputs),
// each with a field path such as `messages[2].content[0].text`, and writes redactions back.

import { AirlockError } from '../errors.ts';
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

const SAFE_KEY = /^[A-Za-z0-9_$-]{1,64}$/;

/** Member names an engine found clean. A scan is a pure function of the text (no finding does not
 *  depend on the field label), and every body repeats the same few names (model, messages, role,
 *  content …), each a full scan of ~0.5 µs. Only names, not values: no prompt text is kept. */
const cleanNames = new WeakMap<DlpEngine, Set<string>>();
const MAX_CLEAN_NAMES = 1024;

/**
 * Every other string of the body (and every key): fields the walker above does not know still
 * reach the model — tool descriptions and schemas, message names, vendor extensions such as vLLM's
 * `chat_template_kwargs` or `documents` that templates render into the prompt — so they are scanned
 * too (a credential there blocks like anywhere else; redactions are written back). `skip` holds the
 * paths already scanned as text slots. Path labels never echo a key that held a finding.
 */
function inspectRest(
  engine: DlpEngine,
  body: Json,
  skip: ReadonlySet<string>,
  direction: Direction,
  policy: Actions | undefined,
  findings: Finding[],
): { value: Json; block: boolean; redacted: boolean } {
  let block = false;
  let redacted = false;
  let clean = cleanNames.get(engine);
  if (clean === undefined) {
    clean = new Set();
    cleanNames.set(engine, clean);
  }
  const names = clean;
  const scan = (text: string, label: string): string => {
    const found = engine.scan(text, label);
    if (found.length === 0) return text;
    findings.push(...found);
    const verdict = decide(found, direction, policy);
    if (verdict.kind === 'block') block = true;
    else if (verdict.kind === 'redact') {
      redacted = true;
      return applyRedactions(text, verdict.redactions).text;
    }
    return text;
  };
  const walk = (v: unknown, path: string, label: string, depth: number): unknown => {
    if (typeof v === 'string') return skip.has(path) ? v : scan(v, label);
    if (typeof v !== 'object' || v === null) return v;
    if (depth > 64) throw new AirlockError('invalid_request', { publicDetail: 'the body nests too deeply.' });
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      v.forEach((x, i) => {
        const next = walk(x, `${path}[${i}]`, `${label}[${i}]`, depth + 1);
        if (next !== x) {
          out ??= [...v];
          out[i] = next;
        }
      });
      return out ?? v;
    }
    let out: Record<string, unknown> | undefined;
    for (const [k, x] of Object.entries(v)) {
      // A key that is not a plain name (`messages[0].content`) must not alias a text slot's path.
      const at = path === '\u0000' || !SAFE_KEY.test(k) ? '\u0000' : path === '' ? k : `${path}.${k}`;
      const before = findings.length;
      if (!names.has(k)) {
        scan(k, `${label === '' ? '' : `${label}.`}{key}`); // a key cannot be renamed: found, not rewritten
        if (findings.length === before && k.length <= 64 && names.size < MAX_CLEAN_NAMES) names.add(k);
      }
      const name = findings.length === before && SAFE_KEY.test(k) ? k : '*';
      const next = walk(x, at, label === '' ? name : `${label}.${name}`, depth + 1);
      if (next !== x) {
        out ??= { ...(v as Json) };
        out[k] = next;
      }
    }
    return out ?? v;
  };
  return { value: walk(body, '', '', 0) as Json, block, redacted };
}

/** Scans every text slot, decides per the action policy and applies redactions; then every other
 *  string and key of the body (inspectRest). */
export function inspectOpenAiBody(
  engine: DlpEngine,
  body: Json,
  direction: Direction,
  policy?: Actions,
): BodyInspection {
  const findings: Finding[] = [];
  const replacements = new Map<string, string>();
  let outcome: BodyInspection['outcome'] = 'pass';
  const slots = extractOpenAiTexts(body);
  for (const slot of slots) {
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
  const rest = inspectRest(engine, body, new Set(slots.map((s) => s.path)), direction, policy, findings);
  if (rest.block) outcome = 'block';
  else if (rest.redacted && outcome === 'pass') outcome = 'redact';
  if (outcome === 'block') return { outcome, body, findings };
  return {
    outcome,
    body: replacements.size > 0 ? replaceOpenAiTexts(rest.value, replacements) : rest.value,
    findings,
  };
}
