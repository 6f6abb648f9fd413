// Wraps an upstream adapter so each call becomes a per-version sample (version-metrics.ts): which
// inventory version served it (asked at call time, so an activation or rollback is seen from the next
// call), whether the upstream failed, time to first token and tokens/s. Wrapping the adapter rather
// than the router attributes every attempt — failovers included — to the version that made it, and
// keeps the /v1 pipeline untouched. A client abort is no verdict on the model and is not sampled.
import type { UpstreamAdapter, UpstreamCall, UpstreamResult } from '../inference/types.ts';
import { isUpstreamFault } from '../inference/upstream-error.ts';
import type { VersionMetrics, VersionSample } from './version-metrics.ts';

type Version = VersionSample['version'];

/** Completion tokens an upstream reported (OpenAI `usage`), or undefined. */
function usageTokens(o: Record<string, unknown>): number | undefined {
  const u = o.usage as { completion_tokens?: unknown } | null | undefined;
  return typeof u?.completion_tokens === 'number' ? u.completion_tokens : undefined;
}

/** Whether a streamed chunk carries generated content (text, a delta, tool-call arguments). */
function hasContent(chunk: Record<string, unknown>): boolean {
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return false;
  for (const c of choices as Record<string, unknown>[]) {
    if (typeof c.text === 'string' && c.text.length > 0) return true;
    const d = c.delta as Record<string, unknown> | undefined;
    if (d && ((typeof d.content === 'string' && d.content.length > 0) || Array.isArray(d.tool_calls)))
      return true;
  }
  return false;
}

export function measureAdapter(
  inner: UpstreamAdapter,
  deps: {
    readonly metrics: VersionMetrics;
    readonly versionOf: (upstream: string, model: string) => Version;
    readonly clock?: () => number;
  },
): UpstreamAdapter {
  const clock = deps.clock ?? performance.now.bind(performance);

  function measureStream(
    result: Extract<UpstreamResult, { kind: 'stream' }>,
    version: Version,
    start: number,
    signal: AbortSignal,
  ): UpstreamResult {
    // A plain iterator around the upstream's, not another async generator: one `then` per chunk
    // instead of a generator's queue, on every streamed chunk of every request.
    const it = result.chunks[Symbol.asyncIterator]();
    let first: number | undefined;
    let contentChunks = 0;
    let reported: number | undefined;
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      // A consumer that stopped early (client went away) leaves no verdict on the model.
      if (signal.aborted && ok) return;
      const end = clock();
      const completion = reported ?? contentChunks;
      deps.metrics.observe({
        version,
        ok,
        ...(first !== undefined ? { ttftMs: first - start } : {}),
        completionTokens: completion,
        decodeTokens: first !== undefined ? Math.max(0, completion - 1) : 0,
        decodeMs: first !== undefined ? end - first : 0,
      });
    };
    const onChunk = (r: IteratorResult<Record<string, unknown>>) => {
      if (r.done) finish(true);
      else {
        if (hasContent(r.value)) {
          first ??= clock();
          contentChunks++;
        }
        reported = usageTokens(r.value) ?? reported;
      }
      return r;
    };
    const onError = (err: unknown): never => {
      finish(!isUpstreamFault(err));
      throw err;
    };
    const measured: AsyncIterableIterator<Record<string, unknown>> = {
      [Symbol.asyncIterator]() {
        return measured;
      },
      next: () => it.next().then(onChunk, onError),
      return(value?: unknown) {
        finish(true);
        return it.return
          ? it.return(value)
          : Promise.resolve({ done: true as const, value: value as Record<string, unknown> });
      },
    };
    return { kind: 'stream', status: result.status, chunks: measured };
  }

  return {
    name: inner.name,
    kind: inner.kind,
    checkHealth: (signal) => inner.checkHealth(signal),
    close: () => inner.close(),
    async call(call: UpstreamCall) {
      const model = typeof call.body.model === 'string' ? call.body.model : '';
      const version = deps.versionOf(inner.name, model);
      const start = clock();
      let result: UpstreamResult;
      try {
        result = await inner.call(call);
      } catch (err) {
        if (!call.signal.aborted)
          deps.metrics.observe({
            version,
            ok: !isUpstreamFault(err),
            completionTokens: 0,
            decodeTokens: 0,
            decodeMs: 0,
          });
        throw err;
      }
      if (result.kind === 'stream') return measureStream(result, version, start, call.signal);
      const completion = usageTokens(result.body) ?? 0;
      deps.metrics.observe({
        version,
        ok: true,
        completionTokens: completion,
        decodeTokens: completion,
        decodeMs: clock() - start,
      });
      return result;
    },
  };
}

/** The adapters map with every adapter measured; closing the result closes the originals. */
export function measureAdapters(
  adapters: ReadonlyMap<string, UpstreamAdapter>,
  deps: Parameters<typeof measureAdapter>[1],
): Map<string, UpstreamAdapter> {
  return new Map([...adapters].map(([name, a]) => [name, measureAdapter(a, deps)]));
}
