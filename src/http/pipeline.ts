// The pipeline runner: one ordered list of named stages for every surface.
//
//   receive → authenticate → resolve → authorize → quota → inspect-in → obligations
//           → forward → inspect-out → account → record
//
// receive happens in the HTTP layer (limits, ids, body parsing) before the runner is called.
// Stages before forward decide; forward produces an upstream result; inspect-out and account run
// per chunk through ctx.chunkHooks while the surface delivers the result; record runs in `finally`
// so allow, deny, error, timeout and client abort are all recorded, and the surface's final bytes
// wait for it (no acknowledged request without a durable entry).
import { type AirlockError, toAirlockError } from '../errors.ts';
import type { UpstreamResult } from '../inference/types.ts';
import type { RequestContext, StageName } from './context.ts';

/** One pre-forward stage. Throws AirlockError to deny; records its decision on ctx.trail. */
export interface Stage {
  readonly name: StageName;
  run(ctx: RequestContext): void | Promise<void>;
}

export interface ForwardStage {
  readonly name: 'forward';
  run(ctx: RequestContext): Promise<UpstreamResult>;
}

/** Durable record of a request. `beforeForward` is enqueued before the upstream call (its commit
 *  overlaps it); `complete` runs at the end, possibly before the first commit settled, so the sink
 *  MUST order entries by call (the sequencer does). Both resolve only when durable; both reject with
 *  AirlockError('audit_unavailable') when the log cannot be written. */
export interface RecordStage {
  readonly name: 'record';
  /** Fails fast when the log is known to be down, before anything is forwarded (fail closed). */
  assertWritable(): void;
  beforeForward(ctx: RequestContext): Promise<void>;
  complete(ctx: RequestContext): Promise<void>;
}

export interface Pipeline {
  readonly decide: readonly Stage[];
  readonly forward: ForwardStage;
  readonly record: RecordStage;
}

/** Delivers a result to the client. It MUST call `commit()` and await it before writing its final
 *  bytes, and map a rejection to its surface's error (status for JSON, error event for streams). */
export type Deliver = (result: UpstreamResult, commit: () => Promise<void>) => Promise<void>;

export interface PipelineOutcome {
  /** Set when the request failed before delivery started: the surface sends this error. */
  readonly error?: AirlockError;
}

export async function runPipeline(
  ctx: RequestContext,
  pipeline: Pipeline,
  deliver: Deliver,
): Promise<PipelineOutcome> {
  let forwarded: Promise<void> | undefined;
  let committed: Promise<void> | undefined;
  const commit = (): Promise<void> => {
    committed ??= (async () => {
      const tr = performance.now();
      try {
        // The completion entry joins the queue now, behind the pre-forward entry (the sequencer keeps
        // call order), instead of after that commit settles: it can share its batch or follow it at
        // once. Both must be durable before the final bytes.
        const completed = pipeline.record.complete(ctx);
        if (forwarded) {
          completed.catch(() => {});
          await forwarded;
        }
        await completed;
      } catch (err) {
        ctx.span?.stage('record', tr, performance.now(), err);
        throw err;
      }
      ctx.span?.stage('record', tr, performance.now());
    })();
    return committed;
  };
  let delivering = false;
  try {
    for (const stage of pipeline.decide) {
      const t0 = performance.now();
      try {
        const pending = stage.run(ctx);
        if (pending) await pending;
      } catch (err) {
        ctx.span?.stage(stage.name, t0, performance.now(), err);
        throw err;
      }
      ctx.span?.stage(stage.name, t0, performance.now());
    }
    pipeline.record.assertWritable();
    forwarded = pipeline.record.beforeForward(ctx);
    // Attach a handler now so a rejection while the upstream call runs is not "unhandled"; the
    // rejection itself still surfaces through commit().
    forwarded.catch(() => {});
    const tf = performance.now();
    let result: UpstreamResult;
    try {
      result = await pipeline.forward.run(ctx);
    } catch (err) {
      ctx.span?.stage('forward', tf, performance.now(), err);
      throw err;
    }
    ctx.span?.stage('forward', tf, performance.now());
    delivering = true;
    await deliver(result, commit);
    return {};
  } catch (err) {
    ctx.error ??= toAirlockError(err);
    if (delivering) return {};
    try {
      await commit();
    } catch (recordErr) {
      // The denial could not be recorded either: the client learns the log is down.
      return { error: toAirlockError(recordErr) };
    }
    return { error: ctx.error };
  } finally {
    for (const cleanup of ctx.cleanups) cleanup();
    ctx.cleanups.length = 0;
    if (delivering) await commit().catch(() => {});
    ctx.span?.end({ error: ctx.error });
  }
}
