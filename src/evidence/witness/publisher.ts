// The gateway's periodic witnessing task: every interval, offer the log's latest checkpoint to the
// configured witnesses and, once at least k cosigned it, store the cosigned note in `dir`
// (cosigned-store.ts). Below quorum nothing is stored and the next tick retries; a witness reporting a
// different history (fork or rollback) is raised as a `fork` event, which an operator must treat as a
// security incident (the log was rewritten, or someone showed a witness another log under our key).
import type { AuditLogReader } from '../types.ts';
import type { CosignOutcome, WitnessEndpoint } from './client.ts';
import { collectCosignatures } from './client.ts';
import type { WitnessPolicy } from './cosign-policy.ts';
import { verifyCosignedCheckpoint, witnessPolicy } from './cosign-policy.ts';
import { listCosignedNotes, writeCosignedNote } from './cosigned-store.ts';

export type PublishResult =
  | { readonly status: 'no-checkpoint' }
  | { readonly status: 'up-to-date'; readonly size: number }
  | {
      readonly status: 'published' | 'below-quorum';
      readonly size: number;
      readonly cosigned: number;
      readonly failures: readonly Extract<CosignOutcome, { ok: false }>[];
    };

export type PublishEvent =
  | {
      readonly event: 'witness.published';
      readonly size: number;
      readonly cosigned: number;
      readonly file: string;
    }
  | {
      readonly event: 'witness.below_quorum';
      readonly size: number;
      readonly cosigned: number;
      readonly k: number;
    }
  | {
      readonly event: 'witness.failed';
      readonly witness: string;
      readonly size: number;
      readonly reason: string;
    }
  | {
      readonly event: 'witness.fork';
      readonly witness: string;
      readonly size: number;
      readonly reason: string;
    };

export interface CosignPublisherDeps {
  readonly log: Pick<AuditLogReader, 'checkpoint' | 'consistencyProof'>;
  /** The log's verifier key: every note is re-verified against the policy before it is stored. */
  readonly logVkey: string;
  readonly witnesses: readonly WitnessEndpoint[];
  readonly k: number;
  /** Folder of `<size>.note` files, e.g. `<dataDir>/audit-cosigned`. */
  readonly dir: string;
  readonly intervalMs: number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly onEvent?: (event: PublishEvent) => void;
}

export interface CosignPublisherStatus {
  /** Size of the newest stored cosigned checkpoint (0 when none). */
  readonly publishedSize: number;
  readonly last?: PublishResult;
  /** A witness reported a history this log does not extend. Sticky until restart. */
  readonly forkReported: boolean;
}

export interface CosignPublisher {
  publishOnce(): Promise<PublishResult>;
  start(): void;
  /** Stops the timer and waits for a round in flight. */
  stop(): Promise<void>;
  status(): CosignPublisherStatus;
}

export function createCosignPublisher(deps: CosignPublisherDeps): CosignPublisher {
  const policy: WitnessPolicy = witnessPolicy(
    deps.witnesses.map((w) => w.vkey),
    deps.k,
  );
  const emit = deps.onEvent ?? (() => {});
  const knownSizes = new Map<string, number>();
  let publishedSize = listCosignedNotes(deps.dir).at(-1)?.size ?? 0;
  let last: PublishResult | undefined;
  let forkReported = false;
  let inFlight: Promise<PublishResult> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  async function round(): Promise<PublishResult> {
    const cp = await deps.log.checkpoint();
    if (cp === null || cp.size === 0) return { status: 'no-checkpoint' };
    if (cp.size <= publishedSize) return { status: 'up-to-date', size: publishedSize };
    const got = await collectCosignatures(deps.log, cp, deps.witnesses, {
      knownSizes,
      ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}),
      ...(deps.fetch !== undefined ? { fetch: deps.fetch } : {}),
    });
    const failures: Extract<CosignOutcome, { ok: false }>[] = [];
    deps.witnesses.forEach((w, i) => {
      const o = got.outcomes[i]!;
      if (o.ok) {
        knownSizes.set(w.vkey, cp.size);
        return;
      }
      knownSizes.delete(w.vkey);
      failures.push(o);
      if (o.fork) forkReported = true;
      emit({
        event: o.fork ? 'witness.fork' : 'witness.failed',
        witness: o.witness,
        size: cp.size,
        reason: o.reason,
      });
    });
    const verdict = verifyCosignedCheckpoint(got.note, deps.logVkey, policy);
    if (!verdict.ok) {
      emit({ event: 'witness.below_quorum', size: cp.size, cosigned: verdict.cosigners.length, k: policy.k });
      return { status: 'below-quorum', size: cp.size, cosigned: verdict.cosigners.length, failures };
    }
    const file = writeCosignedNote(deps.dir, cp.size, got.note);
    publishedSize = cp.size;
    emit({ event: 'witness.published', size: cp.size, cosigned: verdict.cosigners.length, file });
    return { status: 'published', size: cp.size, cosigned: verdict.cosigners.length, failures };
  }

  const publishOnce = (): Promise<PublishResult> => {
    inFlight ??= round()
      .then((r) => {
        last = r;
        return r;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      publishOnce()
        .catch(() => {})
        .finally(schedule);
    }, deps.intervalMs);
    timer.unref();
  };

  return {
    publishOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await inFlight?.catch(() => {});
    },
    status: () => ({ publishedSize, ...(last ? { last } : {}), forkReported }),
  };
}
