// The health-round verifier for one vLLM or llama.cpp upstream (custody.serve entries with
// `backend: vllm|llamacpp`): runs checkOpenAiBackend against the inventory's current view, records
// per target what the serving gate may admit, and reports each change of verdict (a swapped model
// that stops being routed to, and its return) once, for the audit log and metrics.
import type { Inventory } from './inventory.ts';
import { checkOpenAiBackend, type ExpectedOpenAiServing, type OpenAiBackendKind } from './openai-backends.ts';
import type { ServingGate } from './serving.ts';

export interface OpenAiServingBinding {
  readonly upstream: string;
  readonly model: string;
  readonly version: string;
  readonly path?: string;
  readonly contextLength?: number;
}

/** A change in what a backend is verified to serve; `ok: false` means routing to it stopped. */
export interface ServingChange {
  readonly upstream: string;
  readonly model: string;
  readonly backend: OpenAiBackendKind;
  readonly version: string;
  readonly ok: boolean;
  readonly reason?: string;
}

export function createOpenAiBackendVerifier(deps: {
  upstream: string;
  baseUrl: string;
  kind: OpenAiBackendKind;
  bindings: readonly OpenAiServingBinding[];
  gate: ServingGate;
  inventory: Inventory;
  fetch?: typeof fetch;
  onChange?: (e: ServingChange) => void;
}): (signal: AbortSignal) => Promise<boolean> {
  const last = new Map<string, boolean>();
  const report = (b: OpenAiServingBinding, ok: boolean, reason?: string) => {
    if (last.get(b.model) === ok) return;
    // The first verdict is reported only when it refuses: a healthy start is not news.
    const first = !last.has(b.model);
    last.set(b.model, ok);
    if (first && ok) return;
    deps.onChange?.({
      upstream: deps.upstream,
      model: b.model,
      backend: deps.kind,
      version: b.version,
      ok,
      ...(reason !== undefined ? { reason } : {}),
    });
  };
  return async (signal) => {
    const expected: (ExpectedOpenAiServing & { binding: OpenAiServingBinding })[] = [];
    for (const b of deps.bindings) {
      const digest = deps.gate.expectedDigest(deps.upstream, b.model);
      if (digest === undefined) {
        // Not approved (or revoked): the gate refuses it on its own; nothing to compare.
        deps.gate.observe(deps.upstream, b.model, undefined);
        report(b, false, `${b.version} is not approved or active`);
        continue;
      }
      const version = deps.inventory.get(b.version) ?? deps.inventory.resolveAlias(b.version);
      expected.push({
        binding: b,
        model: b.model,
        digest,
        version,
        ...(b.path !== undefined ? { path: b.path } : {}),
        ...(b.contextLength !== undefined ? { contextLength: b.contextLength } : {}),
      });
    }
    let result: Awaited<ReturnType<typeof checkOpenAiBackend>>;
    try {
      result = await checkOpenAiBackend(deps.kind, deps.baseUrl, expected, {
        signal,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
    } catch (err) {
      // Unreachable or unreadable: nothing is verified until a later round reads it again.
      for (const e of expected) deps.gate.observe(deps.upstream, e.model, undefined);
      throw err;
    }
    for (const e of expected) {
      const fnd = result.findings.find((x) => x.model === e.model);
      const ok = fnd?.ok === true;
      deps.gate.observe(deps.upstream, e.model, ok ? e.digest : undefined);
      report(e.binding, ok, fnd?.reason);
    }
    // Unapproved bindings are refused by the gate itself; they do not make the server unhealthy.
    return result.ok;
  };
}
