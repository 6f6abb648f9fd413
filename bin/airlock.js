#!/usr/bin/env node
// The `airlock` command. The egress guard is installed first — before any other module (or any
// dependency) loads — in deny-all mode; `serve` widens it to exactly what the config allows (P1).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `airlock needs Node.js 24 or later (this is ${process.version}); run: . scripts/node24.sh\n`,
  );
  process.exit(1);
}

const { installEgressGuard, isEgressGuardInstalled } = await import('../src/egress/guard.ts');
const { denyAllEgressPolicy } = await import('../src/egress/policy.ts');

// A child started by the gateway (an embedded worker) already runs under the guard its preload
// installed with the parent's policy; it must not be replaced.
let deniedHandler = (event) =>
  process.stderr.write(`${JSON.stringify({ level: 'warn', event: 'egress_denied', ...event })}\n`);
const guard = isEgressGuardInstalled()
  ? undefined
  : installEgressGuard({ policy: denyAllEgressPolicy(), onDenied: (event) => deniedHandler(event) });

const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  egress: guard && {
    guard,
    onDenied(handler) {
      deniedHandler = handler;
    },
  },
});
process.exitCode = code;
