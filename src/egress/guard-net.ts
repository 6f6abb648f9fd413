// TCP egress: every outbound TCP path in Node ends in net.Socket.prototype.connect — net.connect,
// http/https agents, undici and Node's fetch, tls.connect (TLSSocket extends Socket), http2, pg,
// ioredis. Unix-domain socket (path) connects stay local to the host and are allowed.
import net from 'node:net';
import { parsePort } from './address.ts';
import type { GuardCore, Restore } from './guard-core.ts';

type Target = { kind: 'path' } | { kind: 'tcp'; host: string; port: number | undefined; raw: unknown };

/** Mirrors Node's normalizeArgs: (options[, cb]) | (path[, cb]) | (port[, host][, cb]) | net.connect's array. */
export function socketTarget(args: readonly unknown[]): Target {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (first !== null && typeof first === 'object') {
    const o = first as { path?: unknown; host?: unknown; port?: unknown };
    if (o.path) return { kind: 'path' };
    const host = typeof o.host === 'string' && o.host.length > 0 ? o.host : 'localhost';
    return { kind: 'tcp', host, port: parsePort(o.port), raw: o.port };
  }
  // Node's isPipeName: a string that is not a non-negative number is a socket path.
  if (typeof first === 'string' && !(Number(first) >= 0)) return { kind: 'path' };
  const host = typeof args[1] === 'string' && args[1].length > 0 ? args[1] : 'localhost';
  return { kind: 'tcp', host, port: parsePort(first), raw: first };
}

export function patchNet(core: GuardCore): Restore {
  const proto = net.Socket.prototype;
  const original = proto.connect;
  const guarded = function airlockGuardedConnect(this: net.Socket, ...args: unknown[]) {
    const target = socketTarget(args);
    if (target.kind === 'path') return Reflect.apply(original, this, args);
    if (target.port !== undefined && core.allows(target.host, target.port))
      return Reflect.apply(original, this, args);
    const error = core.deny(
      'tcp',
      target.host,
      target.port ?? null,
      target.port === undefined ? String(target.raw) : undefined,
    );
    // Fail like a real connection error: asynchronously, on the socket, never a synchronous throw.
    process.nextTick(() => this.destroy(error));
    return this;
  };
  proto.connect = guarded as typeof proto.connect;
  return () => {
    if (proto.connect === (guarded as unknown)) proto.connect = original;
  };
}
