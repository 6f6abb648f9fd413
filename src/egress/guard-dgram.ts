// UDP egress: dgram Socket connect and unconnected send. A connected socket's sends go where connect
// already checked. Errors are delivered the way Node reports a failed DNS step: callback or 'error'.
import dgram from 'node:dgram';
import { parsePort } from './address.ts';
import type { GuardCore, Restore } from './guard-core.ts';

function defaultHost(socket: dgram.Socket): string {
  return (socket as unknown as { type?: string }).type === 'udp6' ? '::1' : '127.0.0.1';
}

function isConnected(socket: dgram.Socket): boolean {
  try {
    socket.remoteAddress();
    return true;
  } catch {
    return false;
  }
}

function fail(socket: dgram.Socket, callback: unknown, error: Error): void {
  if (typeof callback === 'function') process.nextTick(callback as (e: Error) => void, error);
  else process.nextTick(() => socket.emit('error', error));
}

export function patchDgram(core: GuardCore): Restore {
  const proto = dgram.Socket.prototype;
  const originalConnect = proto.connect;
  const originalSend = proto.send;

  const check = (socket: dgram.Socket, rawPort: unknown, rawAddress: unknown, callback: unknown): boolean => {
    const host = typeof rawAddress === 'string' && rawAddress.length > 0 ? rawAddress : defaultHost(socket);
    const port = parsePort(rawPort);
    if (port !== undefined && core.allows(host, port)) return true;
    fail(
      socket,
      callback,
      core.deny('udp', host, port ?? null, port === undefined ? String(rawPort) : undefined),
    );
    return false;
  };

  const connect = function airlockGuardedUdpConnect(this: dgram.Socket, ...args: unknown[]) {
    const [port, address, callback] = args;
    const cb = typeof address === 'function' ? address : callback;
    const addr = typeof address === 'function' ? undefined : address;
    if (check(this, port, addr, cb)) return Reflect.apply(originalConnect, this, args);
  };

  const send = function airlockGuardedUdpSend(this: dgram.Socket, ...args: unknown[]) {
    if (isConnected(this)) return Reflect.apply(originalSend, this, args);
    // Node's argument shuffle for an unconnected socket: (msg, offset, length, port, address, cb) or
    // (msg, port, address, cb); an address given as a function is the callback.
    const [, offset, length, port, address, callback] = args;
    let p: unknown = port;
    let a: unknown = address;
    let cb: unknown = callback;
    if (!(address || (port && typeof port !== 'function'))) {
      cb = port;
      p = offset;
      a = length;
    }
    if (typeof a === 'function') {
      cb = a;
      a = undefined;
    }
    if (check(this, p, a, cb)) return Reflect.apply(originalSend, this, args);
  };

  // Node 24's connectSync is synchronous by contract, so a refusal throws like its other failures.
  const syncProto = proto as unknown as { connectSync?: (port: unknown, address?: unknown) => void };
  const originalConnectSync = syncProto.connectSync;
  const connectSync = function airlockGuardedUdpConnectSync(this: dgram.Socket, ...args: unknown[]) {
    const [rawPort, rawAddress] = args;
    const host = typeof rawAddress === 'string' && rawAddress.length > 0 ? rawAddress : defaultHost(this);
    const port = parsePort(rawPort);
    if (port === undefined || !core.allows(host, port))
      throw core.deny('udp', host, port ?? null, port === undefined ? String(rawPort) : undefined);
    return Reflect.apply(originalConnectSync!, this, args);
  };

  proto.connect = connect as typeof proto.connect;
  proto.send = send as typeof proto.send;
  if (originalConnectSync) syncProto.connectSync = connectSync;
  return () => {
    if (proto.connect === (connect as unknown)) proto.connect = originalConnect;
    if (proto.send === (send as unknown)) proto.send = originalSend;
    if (originalConnectSync && syncProto.connectSync === connectSync)
      syncProto.connectSync = originalConnectSync;
  };
}
