// A two-target router (alias "smart": primary → secondary) over real adapters, with a hand-driven
// clock and recorded events, for the router integration suites.
import { modelSchema, upstreamSchema } from '../../src/config/schema.ts';
import { closeAdapters, createAdapters } from '../../src/inference/adapter-registry.ts';
import { createRouter, type InferenceRouter, type RouterEvent } from '../../src/inference/router.ts';
import type { UpstreamCall } from '../../src/inference/types.ts';

export interface RouterFixture {
  router: InferenceRouter;
  events: RouterEvent[];
  /** Router time in ms; advance it to pass a circuit cooldown. */
  clock: { t: number };
  close(): Promise<void>;
}

export async function routerFixture(
  primaryUrl: string,
  secondaryUrl: string,
  opts: { failures?: number; cooldown?: string } = {},
): Promise<RouterFixture> {
  const upstreams = [
    upstreamSchema.parse({
      name: 'primary',
      kind: 'openai',
      baseUrl: primaryUrl,
      circuitBreaker: { failures: opts.failures ?? 2, cooldown: opts.cooldown ?? '30s' },
      health: { interval: '1h' },
    }),
    upstreamSchema.parse({
      name: 'secondary',
      kind: 'openai',
      baseUrl: secondaryUrl,
      health: { interval: '1h' },
    }),
  ];
  const models = [
    modelSchema.parse({
      alias: 'smart',
      targets: [
        { upstream: 'primary', model: 'p-model' },
        { upstream: 'secondary', model: 's-model' },
      ],
    }),
  ];
  const adapters = await createAdapters(upstreams, { resolveSecret: () => 'unused' });
  const events: RouterEvent[] = [];
  const clock = { t: 1_000_000 };
  const router = createRouter(
    { models, upstreams },
    { adapters, now: () => clock.t, onEvent: (e) => events.push(e) },
  );
  return {
    router,
    events,
    clock,
    async close() {
      await router.close();
      await closeAdapters(adapters);
    },
  };
}

/** A chat call for alias "smart". */
export function smartCall(stream = false, signal = new AbortController().signal): UpstreamCall {
  return {
    endpoint: 'chat',
    body: { model: 'smart', messages: [{ role: 'user', content: 'hi' }], stream },
    stream,
    headers: {},
    signal,
  };
}
