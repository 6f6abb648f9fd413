// Messages between the SQLite audit log (main thread) and its writer thread (writer.ts). Plain data
// only: everything here crosses threads as a structured clone.
import type { KeyObject } from 'node:crypto';

export interface WriterData {
  readonly path: string;
  readonly busyTimeoutMs: number;
  /** The checkpoint signer; a KeyObject clones into the worker without exporting the key. */
  readonly signer: { readonly name: string; readonly keyId: Uint8Array; readonly privateKey: KeyObject };
}

/** A group commit as parallel arrays: entry i is pre[i] + index + post[i] (see entry.ts). */
export type WriterRequest =
  | {
      readonly id: number;
      readonly op: 'commit';
      readonly pre: readonly string[];
      readonly post: readonly string[];
      readonly requestIds: readonly (string | null)[];
      readonly checkpoint: boolean;
    }
  | { readonly id: number; readonly op: 'probe' | 'close' };

export interface WriterError {
  readonly name: string;
  readonly message: string;
  /** e.g. SQLITE_BUSY: health() reasons name it. */
  readonly code?: string;
}

export type WriterReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly first?: number;
      readonly size?: number;
      readonly checkpoint?: { size: number; root: Uint8Array; note: string } | null;
    }
  | { readonly id: number; readonly ok: false; readonly error: WriterError };
