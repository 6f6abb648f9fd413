// DNS egress: a query for a name that is not on the allowlist is answered by the guard with an
// EAIRLOCKEGRESS error before the real resolver runs, so no packet leaves. IP literals pass to
// dns.lookup (answered locally) and on to the connect check. Covers dns, dns/promises, both
// Resolver classes and the module-level functions bound to the default resolver.
import dns from 'node:dns';
import { isIP } from 'node:net';
import type { GuardCore, Restore } from './guard-core.ts';

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;
type Check = (core: GuardCore, name: string) => boolean;

const lookupCheck: Check = (core, name) => name === '' || isIP(name) !== 0 || core.allowsHost(name);
const queryCheck: Check = (core, name) => core.allowsHost(name);

/** Methods that send DNS queries: resolve, resolve4, resolveMx, … and reverse; new ones are caught by the prefix. */
function queryMethods(target: object): string[] {
  return Object.getOwnPropertyNames(target).filter(
    (k) =>
      (k.startsWith('resolve') || k === 'reverse') &&
      typeof (target as Record<string, unknown>)[k] === 'function',
  );
}

function callbackStyle(core: GuardCore, original: AnyFn, check: Check): AnyFn {
  return function airlockGuardedDns(this: unknown, ...args: unknown[]) {
    const [name] = args;
    const callback = args[args.length - 1];
    // Non-string names and missing callbacks go to Node, which throws its own validation error.
    if (typeof name === 'string' && typeof callback === 'function' && !check(core, name)) {
      process.nextTick(callback as (e: Error) => void, core.deny('dns', name, null));
      return {};
    }
    return Reflect.apply(original, this, args);
  };
}

function promiseStyle(core: GuardCore, original: AnyFn, check: Check): AnyFn {
  return function airlockGuardedDnsPromise(this: unknown, ...args: unknown[]) {
    const [name] = args;
    if (typeof name === 'string' && !check(core, name)) return Promise.reject(core.deny('dns', name, null));
    return Reflect.apply(original, this, args);
  };
}

export function patchDns(core: GuardCore): Restore {
  const saved: Array<[Record<string, unknown>, string, unknown]> = [];
  const wrap = (target: object, key: string, make: (o: AnyFn) => AnyFn) => {
    const record = target as Record<string, unknown>;
    const original = record[key];
    if (typeof original !== 'function') return;
    saved.push([record, key, original]);
    record[key] = make(original as AnyFn);
  };
  const cb = (check: Check) => (o: AnyFn) => callbackStyle(core, o, check);
  const pr = (check: Check) => (o: AnyFn) => promiseStyle(core, o, check);

  wrap(dns, 'lookup', cb(lookupCheck));
  wrap(dns, 'lookupService', cb(queryCheck));
  wrap(dns.promises, 'lookup', pr(lookupCheck));
  wrap(dns.promises, 'lookupService', pr(queryCheck));
  // Prototypes first: dns.setServers re-binds the module-level functions from Resolver.prototype.
  for (const key of queryMethods(dns.Resolver.prototype)) wrap(dns.Resolver.prototype, key, cb(queryCheck));
  for (const key of queryMethods(dns.promises.Resolver.prototype))
    wrap(dns.promises.Resolver.prototype, key, pr(queryCheck));
  for (const key of queryMethods(dns)) wrap(dns, key, cb(queryCheck));
  for (const key of queryMethods(dns.promises)) wrap(dns.promises, key, pr(queryCheck));

  return () => {
    for (const [record, key, original] of saved.reverse()) record[key] = original;
  };
}
