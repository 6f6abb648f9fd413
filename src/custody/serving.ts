// Serving only what was approved (P7). Three checks, all fail closed:
// - verifyBeforeLoad: before a worker loads a file, re-hash it and ask the inventory; a file that is
//   not approved/active, or whose bytes changed, is refused.
// - checkOllamaBackend: what an Ollama server actually serves under each tag (/api/tags, /api/show)
//   compared with the digests the inventory approved; a swapped tag is reported as changed.
// - createServingGate: the router's synchronous per-request admission, fed by the two checks above
//   and by the inventory's state (revoking a digest takes effect on the next request).
import { AirlockError } from '../errors.ts';
import { hashFile } from './digest.ts';
import type { Inventory } from './inventory.ts';

/**
 * Re-hashes `path` and refuses it unless its SHA-256 equals `digest` and the inventory lets that
 * digest serve. Resolves with the digest on success. The hook for the worker supervisor: call it
 * right before spawning (and before every restart) with the store path of the approved file.
 */
export async function verifyBeforeLoad(
  inventory: Inventory,
  digest: string,
  path: string,
): Promise<{ sha256: string; size: number }> {
  if (!inventory.isServable(digest))
    throw new AirlockError('model_not_approved', {
      detail: `${digest}: not approved or active in the inventory (or revoked); refusing to load ${path}`,
    });
  let r: { sha256: string; size: number };
  try {
    r = await hashFile(path);
  } catch (err) {
    throw new AirlockError('model_integrity_failed', { detail: `cannot read ${path}`, cause: err });
  }
  if (r.sha256 !== digest)
    throw new AirlockError('model_integrity_failed', {
      detail: `${path} hashes to ${r.sha256}, approved digest is ${digest}; the artefact changed, refusing to load`,
    });
  // Re-check after hashing: a revocation that committed while we read must still win.
  if (!inventory.isServable(digest))
    throw new AirlockError('model_not_approved', { detail: `${digest}: revoked while verifying ${path}` });
  return r;
}

export interface ExpectedServing {
  /** The model name as the backend knows it (Ollama tag, e.g. "llama3:8b"). */
  readonly model: string;
  /** The approved digest: the GGUF file's SHA-256 (Ollama's model blob) or Ollama's manifest digest. */
  readonly digest: string;
}

export type BackendFinding =
  | { readonly model: string; readonly status: 'ok'; readonly digest: string }
  | { readonly model: string; readonly status: 'missing' }
  | {
      readonly model: string;
      readonly status: 'changed';
      readonly expected: string;
      readonly tagDigest: string | undefined;
      readonly blobDigest: string | undefined;
    };

export interface BackendCheck {
  /** True when every expected model is served with its approved digest. */
  readonly ok: boolean;
  readonly findings: readonly BackendFinding[];
  /** Tags the backend serves that nothing expects (informational: they are never routed to). */
  readonly unexpected: readonly string[];
}

const hex = (d: unknown): string | undefined => {
  if (typeof d !== 'string') return undefined;
  const m = /^(?:sha256[:-])?([0-9a-f]{64})$/.exec(d.trim().toLowerCase());
  return m?.[1];
};

/** The model blob's digest from /api/show: the modelfile's `FROM …/blobs/sha256-<hex>` line. */
function blobDigestFromShow(show: unknown): string | undefined {
  const modelfile = (show as { modelfile?: unknown } | null)?.modelfile;
  if (typeof modelfile !== 'string') return undefined;
  const m = /^FROM\s+\S*sha256[-:]([0-9a-f]{64})\s*$/m.exec(modelfile);
  return m?.[1];
}

/**
 * Compares what an Ollama server serves with what was approved. A tag matches when its manifest
 * digest (/api/tags) or its model blob digest (/api/show) equals the approved digest. Network errors
 * reject (the caller treats that as unhealthy); a mismatch resolves with ok: false.
 */
export async function checkOllamaBackend(
  baseUrl: string,
  expected: readonly ExpectedServing[],
  opts: { signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<BackendCheck> {
  const f = opts.fetch ?? fetch;
  const base = baseUrl.replace(/\/+$/, '');
  const tagsRes = await f(`${base}/api/tags`, { ...(opts.signal ? { signal: opts.signal } : {}) });
  if (!tagsRes.ok) throw new Error(`/api/tags answered ${tagsRes.status}`);
  const tags = ((await tagsRes.json()) as { models?: { name?: string; model?: string; digest?: string }[] })
    .models;
  if (!Array.isArray(tags)) throw new Error('/api/tags: no models list');
  const served = new Map<string, string | undefined>();
  for (const t of tags) {
    const name = t.name ?? t.model;
    if (typeof name === 'string') served.set(name, hex(t.digest));
  }
  const findings: BackendFinding[] = [];
  for (const e of expected) {
    const want = hex(e.digest);
    const key = served.has(e.model)
      ? e.model
      : served.has(`${e.model}:latest`)
        ? `${e.model}:latest`
        : undefined;
    if (key === undefined) {
      findings.push({ model: e.model, status: 'missing' });
      continue;
    }
    const tagDigest = served.get(key);
    if (want !== undefined && tagDigest === want) {
      findings.push({ model: e.model, status: 'ok', digest: want });
      continue;
    }
    let blobDigest: string | undefined;
    try {
      const show = await f(`${base}/api/show`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: key }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (show.ok) blobDigest = blobDigestFromShow(await show.json());
    } catch (err) {
      if (opts.signal?.aborted) throw err;
    }
    if (want !== undefined && blobDigest === want)
      findings.push({ model: e.model, status: 'ok', digest: want });
    else findings.push({ model: e.model, status: 'changed', expected: e.digest, tagDigest, blobDigest });
  }
  const expectedNames = new Set(expected.flatMap((e) => [e.model, `${e.model}:latest`]));
  return {
    ok: findings.every((x) => x.status === 'ok'),
    findings,
    unexpected: [...served.keys()].filter((n) => !expectedNames.has(n)),
  };
}

/** A (upstream, upstream model) pair bound to an inventory alias or version. */
export interface ServingBinding {
  readonly upstream: string;
  readonly model: string;
  /** An inventory alias or a `name@version` id. */
  readonly version: string;
  /** Which digest the backend must show; defaults to the version's only GGUF file or its overall digest. */
  readonly digest?: string;
}

export interface ServingGate {
  /**
   * Synchronous admission for one target: the bound version must be approved/active now, and the
   * backend's last observation must match it. Unbound targets are refused when custody is enforced.
   */
  admits(upstream: string, model: string): boolean;
  /** Why a target is refused (for logs and `skip` events); undefined when admitted. */
  reason(upstream: string, model: string): string | undefined;
  /** The approved digest a backend must serve for this target, if bound and servable. */
  expectedDigest(upstream: string, model: string): string | undefined;
  /** Records what a backend was last seen serving (from checkOllamaBackend or verifyBeforeLoad). */
  observe(upstream: string, model: string, digest: string | undefined): void;
  /** Runs checkOllamaBackend for every binding on `upstream` and records the result; resolves ok. */
  verifyOllama(upstream: string, baseUrl: string, signal?: AbortSignal): Promise<boolean>;
}

export function createServingGate(
  inventory: Inventory,
  bindings: readonly ServingBinding[],
  opts: { enforce: boolean; fetch?: typeof fetch },
): ServingGate {
  const key = (u: string, m: string) => `${u}\u0000${m}`;
  const bound = new Map(bindings.map((b) => [key(b.upstream, b.model), b]));
  const seen = new Map<string, string | undefined>();

  function digestFor(b: ServingBinding): string | undefined {
    if (b.digest) return b.digest;
    const v = inventory.get(b.version) ?? inventory.resolveAlias(b.version);
    if (!v) return undefined;
    const ggufs = v.files.filter((f) => f.path.endsWith('.gguf'));
    return ggufs.length === 1 ? ggufs[0]!.sha256 : v.files.length === 1 ? v.files[0]!.sha256 : v.digest;
  }

  function reason(upstream: string, model: string): string | undefined {
    const b = bound.get(key(upstream, model));
    if (!b) return opts.enforce ? `${upstream}/${model} is not bound to an inventory version` : undefined;
    const want = digestFor(b);
    if (!want) return `${b.version} is not in the inventory`;
    if (!inventory.isServable(want)) return `${b.version} (${want.slice(0, 12)}…) is not approved or active`;
    const k = key(upstream, model);
    if (!seen.has(k)) return `${upstream}/${model} not verified yet`;
    const got = seen.get(k);
    if (got !== want) return `${upstream}/${model} serves ${got ?? 'an unknown digest'}, approved ${want}`;
    return undefined;
  }

  return {
    admits: (u, m) => reason(u, m) === undefined,
    reason,
    expectedDigest(u, m) {
      const b = bound.get(key(u, m));
      const d = b ? digestFor(b) : undefined;
      return d && inventory.isServable(d) ? d : undefined;
    },
    observe(u, m, d) {
      seen.set(key(u, m), d);
    },
    async verifyOllama(upstream, baseUrl, signal) {
      const mine = bindings.filter((b) => b.upstream === upstream);
      const expected = mine.flatMap((b) => {
        const d = digestFor(b);
        return d ? [{ model: b.model, digest: d }] : [];
      });
      const r = await checkOllamaBackend(baseUrl, expected, {
        ...(signal ? { signal } : {}),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
      for (const b of mine) {
        const fnd = r.findings.find((x) => x.model === b.model);
        seen.set(key(upstream, b.model), fnd?.status === 'ok' ? fnd.digest : undefined);
      }
      return r.ok;
    },
  };
}

/**
 * Hashes `path` once and refuses it unless that digest is servable now: for embedded workers whose
 * config names a file path rather than a digest. Resolves with the digest the worker will load.
 */
export async function verifyArtefactAtPath(inventory: Inventory, path: string): Promise<string> {
  let r: { sha256: string; size: number };
  try {
    r = await hashFile(path);
  } catch (err) {
    throw new AirlockError('model_integrity_failed', { detail: `cannot read ${path}`, cause: err });
  }
  if (!inventory.isServable(r.sha256))
    throw new AirlockError('model_not_approved', {
      detail: `${path} (sha256:${r.sha256}) is not an approved or active artefact in the inventory (unknown, changed, unapproved or revoked); refusing to load`,
    });
  return r.sha256;
}
