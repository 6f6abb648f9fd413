// Routes a resolved model to its targets in order. Failover happens only while nothing can have
// reached the model (connect failure, 5xx or 429 before the first byte); once a response has begun,
// the result is committed to that target. Each upstream has a circuit breaker (passive, fed by real
// traffic) and an active health check; both only ever remove an upstream from rotation.

import { durationMs } from '../config/duration.ts';
import type { ModelConfig, UpstreamConfig } from '../config/schema.ts';
import type { ErrorCode } from '../errors.ts';
import { AirlockError } from '../errors.ts';
import { type CircuitBreaker, type CircuitState, createCircuitBreaker } from './circuit-breaker.ts';
import type {
  ResolvedModel,
  Router,
  RouteTarget,
  UpstreamAdapter,
  UpstreamCall,
  UpstreamResult,
} from './types.ts';
import { isRetryable, isUpstreamFault, UpstreamError } from './upstream-error.ts';

/** What the router reports; the composition root turns these into logs, metrics and audit events. */
export type RouterEvent =
  | {
      readonly type: 'failover';
      readonly alias: string;
      readonly from: string;
      readonly code: ErrorCode;
      readonly upstreamStatus: number | undefined;
    }
  | {
      readonly type: 'skip';
      readonly alias: string;
      readonly upstream: string;
      readonly reason: 'circuit_open' | 'unhealthy' | 'not_approved';
    }
  | {
      readonly type: 'circuit';
      readonly upstream: string;
      readonly from: CircuitState;
      readonly to: CircuitState;
    }
  | { readonly type: 'health'; readonly upstream: string; readonly healthy: boolean };

export interface RouterDeps {
  /** One adapter per upstream name (see adapter-registry.ts). The caller owns and closes them. */
  adapters: Map<string, UpstreamAdapter>;
  /** Clock for circuit cooldowns (ms); injectable so tests need not wait. */
  now?: () => number;
  onEvent?: (e: RouterEvent) => void;
  /** Model custody (P7): a synchronous hard stop per target; a string says why. A refused target is
   *  never tried, not even by the "everything looks unhealthy" fallback. */
  admit?: (upstream: string, model: string) => string | undefined;
  /** Extra per-upstream checks run with each health check; false marks the upstream unhealthy. */
  verify?: ReadonlyMap<string, (signal: AbortSignal) => Promise<boolean>>;
}

/** Router plus a hook tests and the readiness probe use to run one health round on demand. */
export interface InferenceRouter extends Router {
  /** Runs one health check on every upstream and resolves when all have answered. */
  checkHealthNow(): Promise<void>;
}

interface UpstreamState {
  readonly name: string;
  readonly adapter: UpstreamAdapter;
  readonly breaker: CircuitBreaker;
  readonly intervalMs: number;
  healthy: boolean;
  check: Promise<void> | undefined;
  checkAbort: AbortController | undefined;
  timer: NodeJS.Timeout | undefined;
}

export function createRouter(
  config: { models: readonly ModelConfig[]; upstreams: readonly UpstreamConfig[] },
  deps: RouterDeps,
): InferenceRouter {
  const now = deps.now ?? Date.now;
  const emit = deps.onEvent ?? (() => {});
  const states = new Map<string, UpstreamState>();
  for (const u of config.upstreams) {
    const adapter = deps.adapters.get(u.name);
    if (!adapter) continue;
    const name = u.name;
    states.set(name, {
      name,
      adapter,
      breaker: createCircuitBreaker({
        failures: u.circuitBreaker.failures,
        cooldownMs: durationMs(u.circuitBreaker.cooldown),
        onChange: (from, to) => emit({ type: 'circuit', upstream: name, from, to }),
      }),
      intervalMs: durationMs(u.health.interval),
      healthy: true, // optimistic until the first check says otherwise
      check: undefined,
      checkAbort: undefined,
      timer: undefined,
    });
  }
  // Resolved once at start-up; an alias pointing at an upstream without an adapter stops start-up.
  const models = new Map<string, ResolvedModel>();
  for (const m of config.models) {
    for (const t of m.targets)
      if (!states.has(t.upstream))
        throw new Error(
          `model ${m.alias}: no adapter for upstream "${t.upstream}" (known: ${[...states.keys()].join(', ') || 'none'})`,
        );
    models.set(
      m.alias,
      Object.freeze({
        alias: m.alias,
        endpoints: Object.freeze([...m.endpoints]),
        targets: Object.freeze(m.targets.map((t) => Object.freeze({ upstream: t.upstream, model: t.model }))),
      }),
    );
  }
  let started = false;
  let closed = false;

  function runCheck(s: UpstreamState): Promise<void> {
    if (s.check || closed) return s.check ?? Promise.resolve();
    const ac = new AbortController();
    const timeout = setTimeout(() => ac.abort(), s.intervalMs);
    timeout.unref();
    s.checkAbort = ac;
    const verify = deps.verify?.get(s.name);
    s.check = s.adapter
      .checkHealth(ac.signal)
      .then(async (ok) => ok && (verify ? await verify(ac.signal) : true))
      .catch(() => false)
      .then((ok) => {
        clearTimeout(timeout);
        s.check = undefined;
        s.checkAbort = undefined;
        if (closed || ok === s.healthy) return;
        s.healthy = ok;
        emit({ type: 'health', upstream: s.name, healthy: ok });
      });
    return s.check;
  }

  function watchStream(
    result: Extract<UpstreamResult, { kind: 'stream' }>,
    s: UpstreamState,
  ): UpstreamResult {
    async function* watched() {
      try {
        yield* result.chunks;
      } catch (err) {
        if (isUpstreamFault(err)) s.breaker.onFailure(now());
        throw err;
      }
    }
    return { kind: 'stream', status: result.status, chunks: watched() };
  }

  async function attempt(model: ResolvedModel, target: RouteTarget, s: UpstreamState, call: UpstreamCall) {
    try {
      const result = await s.adapter.call({ ...call, body: { ...call.body, model: target.model } });
      s.breaker.onSuccess(now());
      return { result: result.kind === 'stream' ? watchStream(result, s) : result, target };
    } catch (err) {
      if (isUpstreamFault(err)) s.breaker.onFailure(now());
      else if (err instanceof UpstreamError)
        s.breaker.onSuccess(now()); // it answered (4xx): alive
      else s.breaker.release(); // client abort or a local error: no verdict on the upstream
      if (isRetryable(err) && !call.signal.aborted) {
        const e = err as UpstreamError;
        emit({
          type: 'failover',
          alias: model.alias,
          from: target.upstream,
          code: e.code,
          upstreamStatus: e.upstreamStatus,
        });
      }
      throw err;
    }
  }

  return {
    resolve: (alias) => models.get(alias),

    async forward(model, call) {
      let lastError: unknown;
      let attempted = false;
      const unhealthy: RouteTarget[] = [];
      let retryInMs = Number.POSITIVE_INFINITY;
      let refusal: string | undefined;
      for (const target of model.targets) {
        const s = states.get(target.upstream)!;
        const refused = deps.admit?.(target.upstream, target.model);
        if (refused !== undefined) {
          refusal = refused;
          emit({ type: 'skip', alias: model.alias, upstream: s.name, reason: 'not_approved' });
          continue;
        }
        if (!s.healthy) {
          unhealthy.push(target);
          emit({ type: 'skip', alias: model.alias, upstream: s.name, reason: 'unhealthy' });
          continue;
        }
        if (!s.breaker.tryAcquire(now())) {
          retryInMs = Math.min(retryInMs, s.breaker.retryInMs(now()));
          emit({ type: 'skip', alias: model.alias, upstream: s.name, reason: 'circuit_open' });
          continue;
        }
        attempted = true;
        try {
          return await attempt(model, target, s, call);
        } catch (err) {
          if (!isRetryable(err) || call.signal.aborted) throw err;
          lastError = err;
        }
      }
      // Health checks can be wrong (a proxy hiding /v1/models); when they would leave nothing to try,
      // the unhealthy targets whose circuit still admits traffic get a chance. The circuit is the hard stop.
      if (!attempted) {
        for (const target of unhealthy) {
          const s = states.get(target.upstream)!;
          if (!s.breaker.tryAcquire(now())) continue;
          attempted = true;
          try {
            return await attempt(model, target, s, call);
          } catch (err) {
            if (!isRetryable(err) || call.signal.aborted) throw err;
            lastError = err;
          }
        }
      }
      if (attempted) throw lastError;
      if (refusal !== undefined && unhealthy.length === 0)
        throw new AirlockError('model_not_approved', { detail: `${model.alias}: ${refusal}` });
      throw new UpstreamError('upstream_unavailable', {
        retryable: false,
        upstreamFault: false,
        detail: `${model.alias}: every target's circuit is open`,
        retryAfter: Number.isFinite(retryInMs) ? Math.max(1, Math.ceil(retryInMs / 1000)) : undefined,
      });
    },

    health() {
      const t = now();
      const out: Record<string, { healthy: boolean; circuit: CircuitState }> = {};
      for (const s of states.values()) out[s.name] = { healthy: s.healthy, circuit: s.breaker.state(t) };
      return out;
    },

    start() {
      if (started || closed) return;
      started = true;
      for (const s of states.values()) {
        void runCheck(s);
        s.timer = setInterval(() => void runCheck(s), s.intervalMs);
        s.timer.unref();
      }
    },

    async checkHealthNow() {
      await Promise.all([...states.values()].map(runCheck));
    },

    async close() {
      closed = true;
      const pending: Promise<void>[] = [];
      for (const s of states.values()) {
        if (s.timer) clearInterval(s.timer);
        s.checkAbort?.abort();
        if (s.check) pending.push(s.check);
      }
      await Promise.all(pending);
    },
  };
}

/** Convenience for callers that only hold an alias: resolve or throw model_not_found. */
export function resolveOrThrow(router: Router, alias: string): ResolvedModel {
  const m = router.resolve(alias);
  if (!m) throw new AirlockError('model_not_found', { detail: `no model alias ${alias}` });
  return m;
}
