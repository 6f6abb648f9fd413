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

// `serve` runs with 16 MB semi-spaces (src/cli/young-generation.ts): V8 sizes them only when the
// isolate is created, so the process image is replaced with the same command plus the flag, before
// anything else has started (young-generation.ts imports nothing, so the guard still comes first for
// every module that could reach the network). If execve is unavailable or refused, serve carries on.
{
  const { youngGenerationReexec } = await import('../src/cli/young-generation.ts');
  const argv = youngGenerationReexec({
    execPath: process.execPath,
    execArgv: process.execArgv,
    argv: process.argv,
    nodeOptions: process.env.NODE_OPTIONS,
  });
  if (argv !== undefined && typeof process.execve === 'function') {
    try {
      process.execve(process.execPath, argv, process.env);
    } catch {
      // e.g. the permission model refuses it: V8's default young generation, nothing else differs.
    }
  }
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
