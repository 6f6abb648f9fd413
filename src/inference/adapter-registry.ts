// Maps an upstream's `kind` to its adapter factory. Adapters are built once at start-up; an embedded
// upstream speaks the OpenAI protocol to its worker, whose loopback URL the supervisor knows.
import type { Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/schema.ts';
import { createOllamaAdapter } from './ollama-adapter.ts';
import { createOpenAiAdapter } from './openai-adapter.ts';
import type { UpstreamAdapter } from './types.ts';

export interface AdapterRegistryDeps {
  resolveSecret(ref: string): string;
  /** Loopback base URL of an embedded upstream's worker (e.g. http://127.0.0.1:41234), asked on every
   *  request; undefined while the worker is down (→ upstream_unavailable, retryable). */
  embeddedBaseUrl?: (upstream: string) => string | undefined;
  /** Shared dispatcher, e.g. one enforcing the egress allowlist; per-upstream pools when absent. */
  dispatcher?: Dispatcher;
}

type Factory = (config: UpstreamConfig, deps: AdapterRegistryDeps) => UpstreamAdapter;

const factories: Record<UpstreamConfig['kind'], Factory> = {
  openai: (c, d) => createOpenAiAdapter(c, { resolveSecret: d.resolveSecret, dispatcher: d.dispatcher }),
  ollama: (c, d) => createOllamaAdapter(c, { resolveSecret: d.resolveSecret, dispatcher: d.dispatcher }),
  // The worker's address is asked per request: it is unknown until the worker is up and may change
  // when the supervisor restarts it.
  embedded: (c, d) =>
    createOpenAiAdapter(c, {
      resolveSecret: d.resolveSecret,
      dispatcher: d.dispatcher,
      baseUrl: () => d.embeddedBaseUrl?.(c.name),
    }),
};

export function createAdapter(config: UpstreamConfig, deps: AdapterRegistryDeps): UpstreamAdapter {
  const factory = factories[config.kind];
  if (!factory)
    throw new Error(
      `upstream ${config.name}: unknown kind "${config.kind}" (valid: ${Object.keys(factories).join(', ')})`,
    );
  return factory(config, deps);
}

/** Builds an adapter for every upstream; on failure the ones already built are closed. */
export async function createAdapters(
  upstreams: readonly UpstreamConfig[],
  deps: AdapterRegistryDeps,
): Promise<Map<string, UpstreamAdapter>> {
  const adapters = new Map<string, UpstreamAdapter>();
  try {
    for (const u of upstreams) adapters.set(u.name, createAdapter(u, deps));
  } catch (err) {
    await closeAdapters(adapters);
    throw err;
  }
  return adapters;
}

export async function closeAdapters(adapters: Map<string, UpstreamAdapter>): Promise<void> {
  await Promise.allSettled([...adapters.values()].map((a) => a.close()));
}
