// How a Node child (embedded worker, stdio MCP server) is started under the same egress policy:
// `--import` of the preload plus the policy in the environment. NODE_OPTIONS carries the same import
// so a grandchild that inherits the environment is guarded too. Non-Node children cannot be guarded
// in-process; they rely on the OS-level controls in docs/SECURITY.md.
import { type EgressPolicy, serializeEgressPolicy } from './policy.ts';

export const EGRESS_POLICY_ENV = 'AIRLOCK_EGRESS_POLICY';

/** file: URL of preload.ts (URL-encoded, so NODE_OPTIONS needs no quoting). */
export const EGRESS_PRELOAD_URL = new URL('./preload.ts', import.meta.url).href;

export interface EgressChildOptions {
  /** Put these before the script in the child's execArgv / argv. */
  readonly execArgv: string[];
  /** Merge into the child's environment (NODE_OPTIONS replaces any inherited value). */
  readonly env: Record<string, string>;
}

export function egressChildOptions(policy: EgressPolicy): EgressChildOptions {
  return {
    execArgv: ['--import', EGRESS_PRELOAD_URL],
    env: {
      [EGRESS_POLICY_ENV]: serializeEgressPolicy(policy),
      NODE_OPTIONS: `--import=${EGRESS_PRELOAD_URL}`,
    },
  };
}

/** NODE_OPTIONS with our --import added once (keeps whatever else was there). */
export function withEgressNodeOptions(existing: string | undefined): string {
  const ours = `--import=${EGRESS_PRELOAD_URL}`;
  if (!existing) return ours;
  return existing.includes(EGRESS_PRELOAD_URL) ? existing : `${existing} ${ours}`;
}
