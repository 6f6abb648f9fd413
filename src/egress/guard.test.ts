// In-process lifecycle of the guard (the attack suite in test/security/ runs it in real children).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import type { EgressEvent } from './denial.ts';
import { installEgressGuard, isEgressGuardInstalled } from './guard.ts';
import { compileEgressPolicy, denyAllEgressPolicy } from './policy.ts';

function attempt(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

test('guard: deny-all at start, setPolicy, loopback ports, single install, uninstall restores', async () => {
  const server = net.createServer((s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const events: EgressEvent[] = [];
  const original = net.Socket.prototype.connect;
  const guard = installEgressGuard({ policy: denyAllEgressPolicy(), onDenied: (e) => events.push(e) });
  try {
    assert.equal(guard.active, true);
    assert.equal(isEgressGuardInstalled(), true);
    assert.throws(
      () => installEgressGuard({ policy: denyAllEgressPolicy(), onDenied: () => {} }),
      /already installed/,
    );
    assert.equal(await attempt(port, '127.0.0.1'), 'EAIRLOCKEGRESS', 'deny-all before a policy is set');

    guard.allowLoopbackPort(port);
    assert.equal(await attempt(port, '127.0.0.1'), 'connected');
    assert.equal(await attempt(port, '127.0.0.77'), 'EAIRLOCKEGRESS', 'a loopback port is not all of 127/8');
    guard.revokeLoopbackPort(port);
    assert.equal(await attempt(port, '127.0.0.1'), 'EAIRLOCKEGRESS');

    guard.setPolicy(compileEgressPolicy([`127.0.0.1:${port}`]));
    assert.equal(await attempt(port, '127.0.0.1'), 'connected');
    assert.deepEqual(
      guard.policy.entries.map((e) => e.text),
      [`127.0.0.1:${port}`],
    );
    assert.throws(() => guard.setPolicy({} as never), TypeError);
    assert.equal(events.length, 3);
    assert.deepEqual(
      events.map((e) => [e.kind, e.host, e.port]),
      [
        ['tcp', '127.0.0.1', port],
        ['tcp', '127.0.0.77', port],
        ['tcp', '127.0.0.1', port],
      ],
    );
  } finally {
    guard.uninstall();
    server.close();
  }
  assert.equal(guard.active, false);
  assert.equal(isEgressGuardInstalled(), false);
  assert.equal(net.Socket.prototype.connect, original);
});

test('guard: a throwing recorder does not turn a refusal into a crash', async () => {
  const guard = installEgressGuard({
    policy: denyAllEgressPolicy(),
    onDenied: () => {
      throw new Error('recorder down');
    },
  });
  try {
    assert.equal(await attempt(9, '127.0.0.77'), 'EAIRLOCKEGRESS');
  } finally {
    guard.uninstall();
  }
});
