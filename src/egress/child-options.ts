// How a Node child (embedded worker, stdio MCP server) or worker thread is started under the same
// egress policy: `--require` of the preload plus the policy in the environment. `--require` rather
// than `--import` because Node also runs --require preloads in worker threads (it ignores --import
// there). NODE_OPTIONS carries the same preload so a grandchild that inherits the environment is
// guarded too. Non-Node children cannot be guarded in-process: docs/SECURITY.md (OS-level controls).
import { fileURLToPath } from 'node:url';
import { type EgressPolicy, serializeEgressPolicy } from './policy.ts';

export const EGRESS_POLICY_ENV = 'AIRLOCK_EGRESS_POLICY';

/** Absolute path of preload.ts. */
export const EGRESS_PRELOAD_PATH = fileURLToPath(new URL('./preload.ts', import.meta.url));

export interface EgressChildOptions {
  /** Put these before the script in the child's execArgv / argv. */
  readonly execArgv: string[];
  /** Merge into the child's environment (NODE_OPTIONS replaces any inherited value: use withEgressNodeOptions to keep it). */
  readonly env: Record<string, string>;
}

/** NODE_OPTIONS quoting: double quotes with \ and " escaped, so paths with spaces survive. */
function nodeOptionsArg(): string {
  return /[\s"\\]/.test(EGRESS_PRELOAD_PATH)
    ? `--require "${EGRESS_PRELOAD_PATH.replace(/["\\]/g, '\\$&')}"`
    : `--require ${EGRESS_PRELOAD_PATH}`;
}

export function egressChildOptions(policy: EgressPolicy): EgressChildOptions {
  return {
    execArgv: ['--require', EGRESS_PRELOAD_PATH],
    env: { [EGRESS_POLICY_ENV]: serializeEgressPolicy(policy), NODE_OPTIONS: nodeOptionsArg() },
  };
}

/** NODE_OPTIONS with our preload added once (keeps whatever else was there). */
export function withEgressNodeOptions(existing: string | undefined): string {
  if (!existing) return nodeOptionsArg();
  return existing.includes(EGRESS_PRELOAD_PATH) ? existing : `${existing} ${nodeOptionsArg()}`;
}
