// Builds router generations from config (issue 6): the one at start-up and one per approved change
// to `models` / `upstreams`. An upstream whose config is unchanged keeps its adapter (and so its
// connection pool); a new or changed one gets a fresh adapter. Every generation is wrapped the same
// way (custody's per-version metering) and admitted the same way (custody's refusal and verifiers),
// so a live route is held to exactly what a route present at start-up is. `check` is the
// proposal-time half: the routes must compile and every upstream address must be one the running
// egress policy already allows (the allowlist itself changes only with a restart).
import type { AirlockConfig, UpstreamConfig } from '../config/schema.ts';
import { AirlockError } from '../errors.ts';
import type { RouterGeneration } from './live-router.ts';
import { createRouter, type RouterDeps } from './router.ts';
import type { UpstreamAdapter } from './types.ts';

export interface RouteGenerationDeps {
  createAdapter(upstream: UpstreamConfig): UpstreamAdapter;
  /** Wraps a generation's adapters for the router (metering); identity when absent. */
  wrap?(adapters: ReadonlyMap<string, UpstreamAdapter>): Map<string, UpstreamAdapter>;
  readonly router: Omit<RouterDeps, 'adapters'>;
  /** May the gateway open a connection to host:port (the running egress policy)? */
  allows(host: string, port: number): boolean;
}

export interface RouteGenerations {
  /** A generation from `config`, reusing `previous`'s adapters for unchanged upstreams. */
  build(config: AirlockConfig, previous?: RouterGeneration): RouterGeneration;
  /** Proposal time: throws egress_not_allowed or config_invalid naming the upstream. */
  check(config: AirlockConfig): void;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

export function createRouteGenerations(deps: RouteGenerationDeps): RouteGenerations {
  // What config built each adapter, so an unchanged upstream is recognised across generations.
  const builtFrom = new WeakMap<UpstreamAdapter, string>();
  const routerFor = (config: AirlockConfig, adapters: Map<string, UpstreamAdapter>) =>
    createRouter(config, { ...deps.router, adapters: deps.wrap ? deps.wrap(adapters) : adapters });
  return {
    build(config, previous) {
      const adapters = new Map<string, UpstreamAdapter>();
      const created: UpstreamAdapter[] = [];
      try {
        for (const u of config.upstreams) {
          const spec = JSON.stringify(u);
          const old = previous?.adapters.get(u.name);
          if (old && builtFrom.get(old) === spec) {
            adapters.set(u.name, old);
            continue;
          }
          const a = deps.createAdapter(u);
          builtFrom.set(a, spec);
          created.push(a);
          adapters.set(u.name, a);
        }
        return { router: routerFor(config, adapters), adapters };
      } catch (err) {
        // Nothing half-built survives: adapters made for this generation are closed again.
        for (const a of created) void a.close().catch(() => {});
        throw err;
      }
    },
    check(config) {
      for (const [i, u] of config.upstreams.entries()) {
        if (!u.baseUrl || u.kind === 'embedded') continue;
        const url = new URL(u.baseUrl);
        const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
        const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
        if (port === undefined || !deps.allows(host, port))
          throw new AirlockError('egress_not_allowed', {
            publicDetail: `upstreams[${i}] (${u.name}) reaches ${url.host}, which the running egress policy does not allow; add it to egress.allow and restart first, then propose the route`,
          });
      }
      // The routes compile (every target names an upstream) without building a pool.
      const stub = new Map(
        config.upstreams.map((u) => [u.name, { name: u.name } as unknown as UpstreamAdapter] as const),
      );
      try {
        createRouter(config, { adapters: stub });
      } catch (err) {
        throw new AirlockError('config_invalid', { detail: (err as Error).message, cause: err });
      }
    },
  };
}
