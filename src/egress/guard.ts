// The in-process egress guard (P1). Installed first thing in bin/airlock.js (deny-all), then given the
// config's policy once the config is loaded; children get it through the preload (preload.ts).
// It patches the three places every outbound packet in a Node process starts from:
//   net.Socket.prototype.connect (TCP, TLS, HTTP, undici, fetch, pg, ioredis), dns (lookup, resolve*,
//   Resolver classes) and dgram (connect, send) — and starts every new worker thread with the same guard. Imports only node: builtins and dependency-free files.
// Threat model: this stops dependencies and mistakes from calling home; it is not a sandbox against
// hostile code in the same process (which could reach the raw bindings). Pair it with an OS-level
// firewall / network namespace — docs/SECURITY.md.
import { syncBuiltinESMExports } from 'node:module';
import { type EgressEvent, type EgressKind, egressDenial } from './denial.ts';
import type { GuardCore, Restore } from './guard-core.ts';
import { patchDgram } from './guard-dgram.ts';
import { patchDns } from './guard-dns.ts';
import { patchNet } from './guard-net.ts';
import { patchWorkers } from './guard-worker.ts';
import { EgressPolicy, serializeEgressPolicy } from './policy.ts';

export interface EgressGuardOptions {
  /** The starting policy; use denyAllEgressPolicy() before the config is loaded. */
  readonly policy: EgressPolicy;
  /** Called once per refused attempt; must not throw (errors are swallowed) and should not block. */
  readonly onDenied: (event: EgressEvent) => void;
}

export interface EgressGuard {
  /** True until uninstall(). */
  readonly active: boolean;
  /** The effective policy: the current policy plus the loopback ports allowed at run time. */
  readonly policy: EgressPolicy;
  setPolicy(policy: EgressPolicy): void;
  /** Allows 127.0.0.1:port and [::1]:port (an embedded worker's dynamically chosen port). */
  allowLoopbackPort(port: number): void;
  revokeLoopbackPort(port: number): void;
  /** Restores the original functions. For tests; `airlock serve` never uninstalls. */
  uninstall(): void;
}

// Process-wide by nature (it patches Node's own prototypes), so the marker lives on globalThis where
// a second copy of this module would also see it.
const INSTALLED = Symbol.for('airlock.egress.guard');

export function isEgressGuardInstalled(): boolean {
  return (globalThis as Record<symbol, unknown>)[INSTALLED] === true;
}

function assertPolicy(policy: unknown): asserts policy is EgressPolicy {
  if (!(policy instanceof EgressPolicy)) throw new TypeError('egress guard needs an EgressPolicy');
}

function assertPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new RangeError(`loopback port ${port} is not 1-65535`);
}

export function installEgressGuard(opts: EgressGuardOptions): EgressGuard {
  assertPolicy(opts.policy);
  if (isEgressGuardInstalled())
    throw new Error('the airlock egress guard is already installed in this process');
  let base = opts.policy;
  const loopbackPorts = new Set<number>();
  let effective = base;
  const recompute = () => {
    effective = loopbackPorts.size === 0 ? base : base.withLoopbackPorts([...loopbackPorts]);
  };
  let reporting = false;

  const core: GuardCore = {
    allows: (host, port) => effective.allows(host, port),
    allowsHost: (host) => effective.allowsHost(host),
    deny(kind: EgressKind, host: string, port: number | null, shown?: string) {
      const { error, event } = egressDenial(kind, host, port, shown ?? port);
      // A recorder that itself tries to reach a refused address must not recurse.
      if (!reporting) {
        reporting = true;
        try {
          opts.onDenied(event);
        } catch {
          // The refusal stands whatever the recorder does.
        } finally {
          reporting = false;
        }
      }
      return error;
    },
  };

  const restores: Restore[] = [
    patchNet(core),
    patchDns(core),
    patchDgram(core),
    patchWorkers(() => serializeEgressPolicy(effective)),
  ];
  // ESM named imports of builtins (`import { lookup } from 'node:dns'`) only see the patch after this.
  syncBuiltinESMExports();
  (globalThis as Record<symbol, unknown>)[INSTALLED] = true;

  let installed = true;
  return Object.freeze({
    get active() {
      return installed;
    },
    get policy() {
      return effective;
    },
    setPolicy(policy: EgressPolicy) {
      assertPolicy(policy);
      base = policy;
      recompute();
    },
    allowLoopbackPort(port: number) {
      assertPort(port);
      loopbackPorts.add(port);
      recompute();
    },
    revokeLoopbackPort(port: number) {
      loopbackPorts.delete(port);
      recompute();
    },
    uninstall() {
      if (!installed) return;
      installed = false;
      for (const restore of restores.reverse()) restore();
      syncBuiltinESMExports();
      delete (globalThis as Record<symbol, unknown>)[INSTALLED];
    },
  });
}
