// The small interface the per-module patches (net, dns, dgram) share with the guard.
import type { EgressError, EgressKind } from './denial.ts';

export interface GuardCore {
  /** May host:port be reached now? host is a name or an IP literal. */
  allows(host: string, port: number): boolean;
  /** May this name be resolved (or this IP reverse-resolved)? */
  allowsHost(host: string): boolean;
  /** Records a refusal and returns the error to hand to the caller asynchronously. */
  deny(kind: EgressKind, host: string, port: number | null, shown?: string): EgressError;
}

/** Undoes one patch. */
export type Restore = () => void;
