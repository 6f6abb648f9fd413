// `node --require <abs path>/src/egress/preload.ts child.js` (or `--import`; only --require also runs in
// worker threads): installs the egress guard in a child process before its own code runs. The policy comes from AIRLOCK_EGRESS_POLICY (serializeEgressPolicy); a missing or
// invalid value installs deny-all — fail closed: a child we cannot describe reaches nothing.
// Refusals are written to stderr as JSON lines ({"event":"egress_denied",...}) for the parent to record.
// Imports only node: builtins and dependency-free egress files.
import { EGRESS_POLICY_ENV, withEgressNodeOptions } from './child-options.ts';
import { installEgressGuard, isEgressGuardInstalled } from './guard.ts';
import {
  denyAllEgressPolicy,
  deserializeEgressPolicy,
  type EgressPolicy,
  serializeEgressPolicy,
} from './policy.ts';

function report(line: Record<string, unknown>): void {
  try {
    process.stderr.write(`${JSON.stringify(line)}\n`);
  } catch {
    // stderr closed: the refusal itself still stands.
  }
}

if (!isEgressGuardInstalled()) {
  const raw = process.env[EGRESS_POLICY_ENV];
  let policy: EgressPolicy = denyAllEgressPolicy();
  let problem: string | undefined;
  if (raw === undefined || raw === '') problem = `${EGRESS_POLICY_ENV} is not set`;
  else {
    try {
      policy = deserializeEgressPolicy(raw);
    } catch (err) {
      problem = `${EGRESS_POLICY_ENV} is invalid: ${(err as Error).message}`;
    }
  }
  installEgressGuard({ policy, onDenied: (event) => report({ event: 'egress_denied', ...event }) });
  if (problem)
    report({
      event: 'egress_policy_invalid',
      reason: `${problem}; denying all egress`,
      at: new Date().toISOString(),
    });
  // Grandchildren that inherit this environment start under the same (possibly deny-all) policy.
  process.env[EGRESS_POLICY_ENV] = serializeEgressPolicy(policy);
  process.env.NODE_OPTIONS = withEgressNodeOptions(process.env.NODE_OPTIONS);
}
