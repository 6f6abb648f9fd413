// Evidence for what external backends are verified to serve (P7, P9): each change of verdict from
// the vLLM / llama.cpp health checks becomes an audit entry (`model.serving`, outcome deny when
// routing stopped, info when it resumed), a counter and a per-target gauge. Details are model ids,
// version ids and the mismatching field: never prompts, credentials or response bodies.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditSink } from '../http/stages/record.ts';
import type { ServingChange } from './openai-backend-verifier.ts';

export function createServingChangeRecorder(deps: {
  registry: Registry;
  audit: Pick<AuditSink, 'append'>;
  onError?: (err: unknown) => void;
}): (e: ServingChange) => void {
  const changes = new Counter({
    name: 'airlock_model_serving_changes_total',
    help: 'Changes of what an external model backend is verified to serve (verdict: stopped, resumed).',
    labelNames: ['upstream', 'backend', 'verdict'] as const,
    registers: [deps.registry],
  });
  const verified = new Gauge({
    name: 'airlock_model_serving_verified',
    help: '1 while an external (upstream, model) target serves its approved version, 0 while refused.',
    labelNames: ['upstream', 'model'] as const,
    registers: [deps.registry],
  });
  return (e) => {
    changes.inc({ upstream: e.upstream, backend: e.backend, verdict: e.ok ? 'resumed' : 'stopped' });
    verified.set({ upstream: e.upstream, model: e.model }, e.ok ? 1 : 0);
    deps.audit
      .append({
        type: 'model.serving',
        outcome: e.ok ? 'info' : 'deny',
        detail: {
          upstream: e.upstream,
          model: e.model,
          backend: e.backend,
          version: e.version,
          verified: e.ok,
          ...(e.reason !== undefined ? { reason: e.reason } : {}),
        },
      })
      .catch((err: unknown) => deps.onError?.(err));
  };
}
