import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockError } from '../errors.ts';
import type { Principal } from '../http/context.ts';
import { toolScopeCovers } from './authorize.ts';
import { splitName } from './catalog.ts';
import { mcpConfigSchema } from './config.ts';
import { bearerChallenge, createAccessChecks, metadataUrl, tokenInQuery } from './http-checks.ts';
import { classify, httpStatusFor, rpcError } from './jsonrpc.ts';
import { createSessionStore } from './sessions.ts';
import { stdioLaunch } from './stdio-upstream.ts';

const principal = (id: string): Principal => ({
  kind: 'client',
  id,
  credentialId: `cred_${id}`,
  credentialPrefix: 'alk_x',
  expiresAt: new Date(8.64e15),
  scopes: { models: [], endpoints: [] },
});

test('classify: requests, notifications, responses and what is refused', () => {
  assert.equal(classify({ jsonrpc: '2.0', id: 1, method: 'ping' }).kind, 'request');
  assert.equal(classify({ jsonrpc: '2.0', method: 'notifications/initialized' }).kind, 'notification');
  assert.equal(classify({ jsonrpc: '2.0', id: 'a', result: {} }).kind, 'response');
  for (const bad of [
    [],
    'x',
    null,
    { id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: {}, method: 'x' },
    { jsonrpc: '2.0', id: 1, method: 'x', params: [] },
  ])
    assert.equal(classify(bad).kind, 'invalid', JSON.stringify(bad));
});

test('errors: transport problems keep their status, method problems answer 200 with stable codes', () => {
  assert.equal(httpStatusFor(new AirlockError('invalid_token')), 401);
  assert.equal(httpStatusFor(new AirlockError('origin_not_allowed')), 403);
  assert.equal(httpStatusFor(new AirlockError('mcp_session_not_found')), 404);
  assert.equal(httpStatusFor(new AirlockError('tool_not_found')), 200);
  assert.equal(httpStatusFor(new AirlockError('dlp_blocked')), 200);
  const e = rpcError(7, new AirlockError('tool_not_found'), { requestId: 'req_1' }) as {
    error: Record<string, unknown>;
  };
  assert.deepEqual(e.error, {
    code: -32602,
    message: 'Unknown tool or you do not have access to it.',
    data: { code: 'tool_not_found', requestId: 'req_1' },
  });
  const hidden = rpcError(1, new AirlockError('secret_not_found')) as {
    error: { code: number; data: { code: string } };
  };
  assert.equal(hidden.error.data.code, 'internal_error', 'internal codes never reach a client');
});

test('config: names cannot contain the namespace separator; env takes only secret references', () => {
  const base = { transport: 'stdio', command: 'node' };
  assert.throws(() => mcpConfigSchema.parse({ servers: [{ ...base, name: 'a__b' }] }));
  assert.throws(() =>
    mcpConfigSchema.parse({ servers: [{ ...base, name: 'a', env: { TOKEN: 'ghp_inline' } }] }),
  );
  assert.throws(() =>
    mcpConfigSchema.parse({ servers: [{ ...base, name: 'a', env: { NODE_OPTIONS: 'secret:X' } }] }),
  );
  assert.throws(() => mcpConfigSchema.parse({ servers: [{ ...base, name: 'a', bogus: 1 }] }), 'strict');
  assert.throws(() =>
    mcpConfigSchema.parse({
      servers: [
        { ...base, name: 'a' },
        { ...base, name: 'a' },
      ],
    }),
  );
  const ok = mcpConfigSchema.parse({ servers: [{ ...base, name: 'my_server', env: { TOKEN: 'secret:T' } }] });
  assert.equal(ok.servers[0]!.limits.maxOldSpaceMb, 256);
  assert.deepEqual(splitName('my_server__read__all'), { server: 'my_server', tool: 'read__all' });
  assert.equal(splitName('__x'), undefined);
});

test('stdio launch: scrubbed env, secrets for this server only, egress preload, heap cap', () => {
  const config = mcpConfigSchema.parse({
    servers: [
      {
        name: 's',
        transport: 'stdio',
        command: 'node',
        args: ['x.js'],
        env: { TOKEN: 'secret:T' },
        vars: { MODE: 'ro' },
      },
    ],
  }).servers[0]!;
  if (config.transport !== 'stdio') throw new Error('stdio');
  const launch = stdioLaunch(
    config,
    { resolveSecret: (ref) => (ref === 'secret:T' ? 'v' : 'no') },
    '/tmp/home',
  );
  assert.equal(launch.command, process.execPath);
  assert.equal(launch.env.TOKEN, 'v');
  assert.equal(launch.env.MODE, 'ro');
  assert.equal(launch.env.HOME, '/tmp/home');
  assert.equal(launch.env.USER, undefined);
  assert.match(String(launch.env.NODE_OPTIONS), /--max-old-space-size=256 --require \S+preload\.ts/);
  assert.deepEqual(JSON.parse(String(launch.env.AIRLOCK_EGRESS_POLICY)).allow ?? [], []);
  const keys = Object.entries(launch.env)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k)
    .sort();
  assert.deepEqual(
    keys,
    ['AIRLOCK_EGRESS_POLICY', 'HOME', 'LANG', 'MODE', 'NODE_OPTIONS', 'PATH', 'TMPDIR', 'TOKEN'].filter(
      (k) => k !== 'LANG' || process.env.LANG,
    ),
  );
  assert.throws(
    () =>
      stdioLaunch(
        { ...config, vars: { K: 'AKIAIOSFODNN7EXAMPLE' } },
        { resolveSecret: () => '', looksLikeSecret: (t) => t.startsWith('AKIA') },
        '/h',
      ),
    (err: AirlockError) => /looks like a credential/.test(err.detail ?? ''),
  );
});

test('http checks: Host and Origin allowlists, tokens in query, RFC 9728 challenge', () => {
  const c = createAccessChecks({
    allowedHosts: ['127.0.0.1', 'gw.internal'],
    allowedOrigins: ['https://console.internal'],
  });
  assert.equal(c.refusedBy({ host: '127.0.0.1:8080' }), undefined);
  assert.equal(c.refusedBy({ host: 'gw.internal' }), undefined);
  assert.equal(c.refusedBy({ host: 'evil.example' }), 'host');
  assert.equal(c.refusedBy({}), 'host');
  assert.equal(c.refusedBy({ host: 'gw.internal', origin: 'https://evil.example' }), 'origin');
  assert.equal(c.refusedBy({ host: 'gw.internal', origin: 'https://console.internal' }), undefined);
  assert.equal(tokenInQuery('/mcp?access_token=x'), true);
  assert.equal(tokenInQuery('/mcp?x=1&api_key=y'), true);
  assert.equal(tokenInQuery('/mcp?page=2'), false);
  assert.equal(
    metadataUrl('https://gw.internal/mcp'),
    'https://gw.internal/.well-known/oauth-protected-resource/mcp',
  );
  assert.equal(
    bearerChallenge('https://gw.internal/mcp', 'invalid_token'),
    'Bearer resource_metadata="https://gw.internal/.well-known/oauth-protected-resource/mcp", error="invalid_token"',
  );
  assert.equal(toolScopeCovers(['tool:fs__*'], 'fs__read'), true);
  assert.equal(toolScopeCovers(['tool:fs__read'], 'fs__write'), false);
  assert.equal(toolScopeCovers(['model:*'], 'fs__read'), false);
});

test('sessions: bound to the principal, forgotten when idle, capped', () => {
  let now = 0;
  const s = createSessionStore({ maxSessions: 1, idleMs: 100, now: () => now });
  const a = s.create(principal('alice'), '2025-11-25')!;
  assert.equal(s.get(a.id, principal('bob')), undefined);
  assert.equal(s.get(a.id, principal('alice'))?.id, a.id);
  assert.equal(s.create(principal('bob'), '2025-11-25'), undefined, 'at the cap');
  now = 1000;
  assert.ok(s.create(principal('bob'), '2025-11-25'), 'idle sessions are swept to make room');
  assert.equal(s.get(a.id, principal('alice')), undefined);
});
