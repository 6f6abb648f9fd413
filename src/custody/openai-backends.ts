// What a vLLM or llama.cpp server actually serves, compared with the inventory at every health
// check (P7). Neither exposes file digests, so "matches the inventory" is defined per backend from
// what each does expose, and every check fails closed (a field that cannot be read is a mismatch):
//
// vLLM (GET /v1/models): the bound model id is served, and its `root` (the path vLLM loaded) is the
//   binding's `path` or names the approved digest as one of its segments (deploy from the
//   content-addressed store or a folder named by digest; see pathNamesDigest); when the binding sets `contextLength`, `max_model_len` equals it.
// llama.cpp server (GET /v1/models + GET /props): the bound id is served; `/props` `model_path` is the
//   binding's `path` or names the approved GGUF digest as one of its segments; when the inventory recorded a GGUF chat
//   template, SHA-256 of `/props` `chat_template` equals SHA-256 of that template (a swapped or
//   edited template is a changed model); when it recorded a context length, `/v1/models`
//   `meta.n_ctx_train` (read from the loaded GGUF) equals it.
import { createHash } from 'node:crypto';
import type { ModelVersion } from './types.ts';

export type OpenAiBackendKind = 'vllm' | 'llamacpp';

export interface ExpectedOpenAiServing {
  /** The served model id (vLLM --served-model-name, llama.cpp --alias or path). */
  readonly model: string;
  /** The approved digest (GGUF file or overall) the served path must name, unless `path` is set. */
  readonly digest: string;
  /** The inventory version bound to this target (for GGUF facts). */
  readonly version: ModelVersion | undefined;
  /** Exact path the backend must report as loaded (vLLM root, llama.cpp model_path). */
  readonly path?: string;
  /** vLLM max_model_len the target must report. */
  readonly contextLength?: number;
}

export interface OpenAiBackendFinding {
  readonly model: string;
  readonly ok: boolean;
  /** Why not (no secrets, no bodies: field names and short values). */
  readonly reason?: string;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

async function getJson(f: typeof fetch, url: string, signal?: AbortSignal): Promise<unknown> {
  const res = await f(url, { ...(signal ? { signal } : {}), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${new URL(url).pathname} answered ${res.status}`);
  return res.json();
}

interface ServedModel {
  id?: unknown;
  root?: unknown;
  max_model_len?: unknown;
  meta?: { n_ctx_train?: unknown } | null;
}

function modelsOf(doc: unknown): ServedModel[] {
  const data = (doc as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new Error('/v1/models: no data list');
  return data.filter((m): m is ServedModel => typeof m === 'object' && m !== null);
}

/** True when one segment of `path` is the digest (optionally `sha256-`/`sha256:` before it, one
 *  extension after it, as in `models/sha256/<digest>` or `<digest>.gguf`) and no segment is `.` or
 *  `..`: a substring match would pass `/srv/models/<digest>/../other` or `/srv/evil-<digest>`. */
export function pathNamesDigest(path: string, digest: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(digest)) return false;
  const segments = path.split(/[/\\]/);
  if (segments.some((s) => s === '.' || s === '..')) return false;
  const named = new RegExp(`^(?:sha256[-:_])?${digest}(?:\\.[A-Za-z0-9]+)?$`);
  return segments.some((s) => named.test(s));
}

function pathMatches(served: unknown, e: ExpectedOpenAiServing, field: string): string | undefined {
  if (typeof served !== 'string' || served === '') return `${field} not reported`;
  if (e.path !== undefined) return served === e.path ? undefined : `${field} ${served}, expected ${e.path}`;
  return pathNamesDigest(served, e.digest)
    ? undefined
    : `${field} ${served} does not name the approved digest ${e.digest}`;
}

/**
 * Checks one vLLM or llama.cpp server against the expected targets. Network errors and unreadable
 * answers reject (the caller counts that as unhealthy); mismatches resolve with ok: false.
 */
export async function checkOpenAiBackend(
  kind: OpenAiBackendKind,
  baseUrl: string,
  expected: readonly ExpectedOpenAiServing[],
  opts: { signal?: AbortSignal; fetch?: typeof fetch; headers?: Record<string, string> } = {},
): Promise<{ ok: boolean; findings: OpenAiBackendFinding[] }> {
  const f = opts.fetch ?? fetch;
  const base = baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const served = modelsOf(await getJson(f, `${base}/v1/models`, opts.signal));
  let props: Record<string, unknown> | undefined;
  if (kind === 'llamacpp') {
    const p = await getJson(f, `${base}/props`, opts.signal);
    if (typeof p !== 'object' || p === null) throw new Error('/props: not an object');
    props = p as Record<string, unknown>;
  }
  const findings = expected.map((e): OpenAiBackendFinding => {
    const same = served.filter((s) => s.id === e.model);
    const m = same[0];
    if (!m) return { model: e.model, ok: false, reason: `${e.model} is not served` };
    // Two entries with one id: which one a request reaches is the server's choice, not verified.
    if (same.length > 1)
      return { model: e.model, ok: false, reason: `${e.model} is listed ${same.length} times` };
    const why = kind === 'vllm' ? vllmMismatch(m, e) : llamaCppMismatch(m, props!, e);
    return why === undefined ? { model: e.model, ok: true } : { model: e.model, ok: false, reason: why };
  });
  return { ok: findings.every((x) => x.ok), findings };
}

function vllmMismatch(m: ServedModel, e: ExpectedOpenAiServing): string | undefined {
  const path = pathMatches(m.root, e, 'root');
  if (path) return path;
  if (e.contextLength !== undefined && m.max_model_len !== e.contextLength)
    return `max_model_len ${String(m.max_model_len)}, expected ${e.contextLength}`;
  return undefined;
}

function llamaCppMismatch(
  m: ServedModel,
  props: Record<string, unknown>,
  e: ExpectedOpenAiServing,
): string | undefined {
  const path = pathMatches(props.model_path, e, 'model_path');
  if (path) return path;
  const gguf = e.version?.gguf;
  if (gguf?.chatTemplate !== undefined) {
    const served = props.chat_template;
    if (typeof served !== 'string') return 'chat_template not reported';
    if (sha256(served) !== sha256(gguf.chatTemplate))
      return `chat_template sha256:${sha256(served).slice(0, 16)}… differs from the approved GGUF template`;
  }
  if (gguf?.contextLength !== undefined) {
    const train = m.meta?.n_ctx_train;
    if (train !== gguf.contextLength)
      return `n_ctx_train ${String(train)}, the approved GGUF says ${gguf.contextLength}`;
  }
  const ctx = (props.default_generation_settings as { n_ctx?: unknown } | undefined)?.n_ctx;
  if (e.contextLength !== undefined && ctx !== e.contextLength)
    return `n_ctx ${String(ctx)}, expected ${e.contextLength}`;
  return undefined;
}
