// What the gateway holds for custody (P7), built once at start-up from the `custody` config section:
// the inventory (kept fresh from custody.db), the serving gate the router asks on every request, a
// verifier per Ollama upstream for the router's health round, and the check the worker supervisor
// runs before each (re)start. With `enforce: false` nothing is refused; the inventory still records.
// `exempt` targets are the explicit, doctor-reported exceptions for backends airlock cannot verify.
import type { UpstreamConfig } from '../config/schema.ts';
import { AirlockError } from '../errors.ts';
import type { CustodyConfig } from './config.ts';
import type { Inventory } from './inventory.ts';
import { storePath } from './model-store.ts';
import { openCustody } from './open.ts';
import { createOpenAiBackendVerifier, type ServingChange } from './openai-backend-verifier.ts';
import type { ModelProposals } from './proposals.ts';
import { createServingGate, type ServingGate, verifyArtefactAtPath, verifyBeforeLoad } from './serving.ts';
import type { CustodyEvent } from './types.ts';

export interface CustodyRuntime {
  readonly inventory: Inventory;
  /** Approve, activate and rollback as (two-person) proposals; the admin API serves them. */
  readonly proposals: ModelProposals;
  readonly enforce: boolean;
  /** Synchronous per-target admission; undefined = admitted, a string = why not. */
  refusal(upstream: string, model: string): string | undefined;
  /** Extra health verifiers by upstream name (Ollama: /api/tags + /api/show against the inventory). */
  readonly verifiers: ReadonlyMap<string, (signal: AbortSignal) => Promise<boolean>>;
  /** Which inventory version a target serves now (for per-version metrics); undefined when unknown
   *  (an exempt or unbound target). */
  versionOf(upstream: string, model: string): { id: string; digest: string } | undefined;
  /** Before a worker loads `modelPath`: re-hash and refuse anything not approved (no-op when not
   *  enforced). A worker bound to an inventory alias (`worker.model`) gets the path of the version the
   *  alias points at now, from the content-addressed store, always verified. */
  beforeWorkerLoad(upstream: string, modelPath: string): Promise<string | undefined>;
  close(): void;
}

export function createCustodyRuntime(
  config: CustodyConfig,
  deps: {
    dataDir: string;
    upstreams: readonly UpstreamConfig[];
    onEvent?: (e: CustodyEvent) => void;
    /** A vLLM / llama.cpp target stopped (ok: false) or resumed matching the inventory. */
    onServingChange?: (e: ServingChange) => void;
    fetch?: typeof fetch;
  },
): CustodyRuntime {
  const opened = openCustody(deps.dataDir, config, deps.onEvent);
  const inventory = opened.inventory;
  const gate: ServingGate = createServingGate(inventory, config.serve, {
    enforce: config.enforce,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const embedded = new Set(deps.upstreams.filter((u) => u.kind === 'embedded').map((u) => u.name));
  const workerModel = new Map(
    deps.upstreams.flatMap((u) =>
      u.kind === 'embedded' && u.worker?.model ? [[u.name, u.worker.model]] : [],
    ),
  );
  /** The GGUF of the version `ref` names now: approved or active, re-hashed from the store. */
  async function aliasArtefact(
    upstream: string,
    ref: string,
  ): Promise<{ path: string; id: string; digest: string }> {
    const v = inventory.get(ref) ?? inventory.resolveAlias(ref);
    if (!v)
      throw new AirlockError('model_not_approved', {
        detail: `${upstream}: worker.model ${ref} is not in the inventory`,
      });
    const ggufs = v.files.filter((f) => f.path.endsWith('.gguf'));
    const file = ggufs.length === 1 ? ggufs[0] : v.files.length === 1 ? v.files[0] : undefined;
    if (!file)
      throw new AirlockError('model_not_approved', {
        detail: `${upstream}: ${v.id} has no single GGUF file to load`,
      });
    const path = storePath(deps.dataDir, file.sha256);
    await verifyBeforeLoad(inventory, file.sha256, path);
    return { path, id: v.id, digest: file.sha256 };
  }
  const verifiers = new Map<string, (signal: AbortSignal) => Promise<boolean>>();
  for (const u of deps.upstreams)
    if (u.kind === 'ollama' && u.baseUrl && config.serve.some((s) => s.upstream === u.name)) {
      const base = u.baseUrl;
      verifiers.set(u.name, (signal) => gate.verifyOllama(u.name, base, signal));
    }
  // vLLM and llama.cpp servers (kind: openai) are checked by what they report (openai-backends.ts).
  for (const u of deps.upstreams)
    for (const kind of ['vllm', 'llamacpp'] as const) {
      const bindings = config.serve.filter((s) => s.upstream === u.name && s.backend === kind);
      if (bindings.length === 0 || !u.baseUrl) continue;
      verifiers.set(
        u.name,
        createOpenAiBackendVerifier({
          upstream: u.name,
          baseUrl: u.baseUrl,
          kind,
          bindings,
          gate,
          inventory,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
          ...(deps.onServingChange ? { onChange: deps.onServingChange } : {}),
        }),
      );
    }
  // Digest each embedded worker was verified with at its last (re)start.
  const workerDigest = new Map<string, string>();
  const workerVersion = new Map<string, { id: string; digest: string }>();
  const exempt = (upstream: string, model: string) =>
    config.exempt.some((x) => x.upstream === upstream && (x.model === undefined || x.model === model));
  const idFor = (digest: string): string | undefined => {
    const holders = inventory.byDigest(digest);
    return (holders.find((v) => v.state === 'active') ?? holders.find((v) => v.state === 'approved'))?.id;
  };
  const bindings = new Map(config.serve.map((b) => [`${b.upstream}\u0000${b.model}`, b]));
  return {
    inventory,
    proposals: opened.proposals,
    enforce: config.enforce,
    refusal(upstream, model) {
      if (!config.enforce) return undefined;
      if (!embedded.has(upstream) && exempt(upstream, model)) return undefined;
      if (embedded.has(upstream)) {
        const d = workerDigest.get(upstream);
        if (d === undefined) return `${upstream}: worker model not verified`;
        return inventory.isServable(d)
          ? undefined
          : `${upstream}: worker model sha256:${d} is no longer approved`;
      }
      return gate.reason(upstream, model);
    },
    verifiers,
    versionOf(upstream, model) {
      // The version a worker serves is fixed when it (re)starts: no inventory lookup per request.
      if (embedded.has(upstream)) return workerVersion.get(upstream);
      const d = gate.expectedDigest(upstream, model);
      if (d === undefined) return undefined;
      const b = bindings.get(`${upstream}\u0000${model}`);
      const v = b ? (inventory.get(b.version) ?? inventory.resolveAlias(b.version)) : undefined;
      const id = v?.id ?? idFor(d);
      return id === undefined ? undefined : { id, digest: d };
    },
    async beforeWorkerLoad(upstream, modelPath) {
      const ref = workerModel.get(upstream);
      if (ref !== undefined) {
        workerDigest.delete(upstream);
        workerVersion.delete(upstream);
        const a = await aliasArtefact(upstream, ref);
        workerDigest.set(upstream, a.digest);
        workerVersion.set(upstream, { id: a.id, digest: a.digest });
        return a.path;
      }
      if (!config.enforce) return undefined;
      workerDigest.delete(upstream);
      workerVersion.delete(upstream);
      const digest = await verifyArtefactAtPath(inventory, modelPath);
      workerDigest.set(upstream, digest);
      const id = idFor(digest);
      if (id !== undefined) workerVersion.set(upstream, { id, digest });
      return undefined;
    },
    close: () => opened.close(),
  };
}
