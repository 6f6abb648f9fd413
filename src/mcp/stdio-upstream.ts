// A stdio MCP server as a supervised child process. The child starts with a scrubbed environment:
// PATH, a private HOME/TMPDIR (0700, removed when it exits), the locale, the secrets injected for
// this server only (resolved at each start, so a rotation applies on restart), its declared plain
// settings, and the egress guard (NODE_OPTIONS `--require` preload + AIRLOCK_EGRESS_POLICY, deny-all
// unless the server lists egress entries). Node children also get a V8 heap cap. stderr is read
// line by line: egress refusals reported by the preload are handed to the gateway to record.
// The client is the v2 SDK's, negotiating the revision: 2026-07-28 with a child that answers
// `server/discover`, the 2025 handshake otherwise (upstream-client.ts). It probes IN PLACE, on the
// one child: the SDK's own alternative (a disposable sibling spawned for the probe) would start a
// second process per (re)start whose stderr the SDK discards, so an egress refusal by that process
// would go unrecorded (P1), and it would share the private HOME. A child that exits on a request
// before `initialize` (some non-TypeScript SDKs do) fails that probe; it is then restarted with the
// v1 client and its initialize handshake, for as long as the upstream lives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { StdioClientTransport as NegotiatingStdioTransport } from '@modelcontextprotocol/client/stdio';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { EGRESS_POLICY_ENV, withEgressNodeOptions } from '../egress/child-options.ts';
import { compileEgressPolicy, serializeEgressPolicy } from '../egress/policy.ts';
import { AirlockError } from '../errors.ts';
import { durationToMs, type StdioServerConfig } from './config.ts';
import { createSdkUpstream, type UpstreamEvent } from './sdk-upstream.ts';
import type { McpUpstream } from './types.ts';
import {
  createLegacyClient,
  createNegotiatingClient,
  isNegotiationFailure,
  type UpstreamClient,
} from './upstream-client.ts';

/** A subclass, so the v2 SDK probes `server/discover` on this child instead of a sibling copy. */
class InPlaceStdioTransport extends NegotiatingStdioTransport {}

export interface StdioUpstreamDeps {
  /** `secret:NAME` → value (the vault resolver); throws when the secret is missing. */
  readonly resolveSecret: (ref: string) => string;
  /** Relative `cwd` values resolve against this (the config file's folder). */
  readonly baseDir?: string;
  /** Refuses a plain `vars` value that holds a credential (the DLP engine's scan). */
  readonly looksLikeSecret?: (text: string) => boolean;
  readonly onEvent?: (e: UpstreamEvent) => void;
  /** An `{"event":"egress_denied",…}` line from the child's guard. */
  readonly onEgressDenied?: (server: string, event: Record<string, unknown>) => void;
  /** Other stderr lines (already length-capped); for the operator log, never the audit log. */
  readonly onStderr?: (server: string, line: string) => void;
}

/** Variables the SDK would copy from the gateway (HOME, LOGNAME, SHELL, TERM, USER): dropped. */
const DROP = ['LOGNAME', 'SHELL', 'TERM', 'USER'];

export interface ChildLaunch {
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string | undefined>;
  readonly cwd: string | undefined;
}

/** The exact command, arguments and environment a server starts with (pure; unit-tested). */
export function stdioLaunch(
  config: StdioServerConfig,
  deps: Pick<StdioUpstreamDeps, 'resolveSecret' | 'baseDir' | 'looksLikeSecret'>,
  home: string,
): ChildLaunch {
  for (const [name, value] of Object.entries(config.vars)) {
    if (deps.looksLikeSecret?.(value))
      throw new AirlockError('config_invalid', {
        detail: `mcp.servers.${config.name}.vars.${name} looks like a credential: move it to env as secret:NAME`,
      });
  }
  const env: Record<string, string | undefined> = {};
  for (const k of DROP) env[k] = undefined;
  env.PATH = process.env.PATH ?? '/usr/bin:/bin';
  env.HOME = home;
  env.TMPDIR = home;
  if (process.env.LANG) env.LANG = process.env.LANG;
  Object.assign(env, config.vars);
  for (const [name, ref] of Object.entries(config.env)) env[name] = deps.resolveSecret(ref);
  const policy = compileEgressPolicy(config.egress);
  env[EGRESS_POLICY_ENV] = serializeEgressPolicy(policy);
  env.NODE_OPTIONS = withEgressNodeOptions(`--max-old-space-size=${config.limits.maxOldSpaceMb}`);
  const command = config.command === 'node' ? process.execPath : config.command;
  const cwd = config.cwd ? resolve(deps.baseDir ?? process.cwd(), config.cwd) : undefined;
  return { command, args: [...config.args], env, cwd };
}

const MAX_STDERR_LINE = 4096;

export function createStdioUpstream(config: StdioServerConfig, deps: StdioUpstreamDeps): McpUpstream {
  let home: string | undefined;
  let pid: number | null = null;
  let legacyOnly = false;
  const removeHome = async () => {
    if (home) rmSync(home, { recursive: true, force: true });
    home = undefined;
  };
  const upstream = createSdkUpstream({
    name: config.name,
    transport: 'stdio',
    callTimeoutMs: durationToMs(config.limits.callTimeout),
    maxConcurrentCalls: config.limits.maxConcurrentCalls,
    restart: {
      initialDelayMs: durationToMs(config.restart.initialDelay),
      maxDelayMs: durationToMs(config.restart.maxDelay),
    },
    onEvent: deps.onEvent,
    afterClose: removeHome,
    async makeClient() {
      await removeHome();
      home = mkdtempSync(join(tmpdir(), `airlock-mcp-${config.name}-`));
      const launch = stdioLaunch(config, deps, home);
      const params = {
        command: launch.command,
        args: launch.args,
        env: launch.env as Record<string, string>,
        ...(launch.cwd ? { cwd: launch.cwd } : {}),
        stderr: 'pipe' as const,
        maxBufferSize: config.limits.maxMessageBytes,
      };
      const transport = legacyOnly ? new StdioClientTransport(params) : new InPlaceStdioTransport(params);
      const stderr = transport.stderr;
      if (stderr) {
        const lines = createInterface({
          input: stderr as unknown as NodeJS.ReadableStream,
          crlfDelay: Number.POSITIVE_INFINITY,
        });
        lines.on('line', (raw) => {
          const line = raw.length > MAX_STDERR_LINE ? raw.slice(0, MAX_STDERR_LINE) : raw;
          if (line.startsWith('{"event":"egress_denied"')) {
            try {
              deps.onEgressDenied?.(config.name, JSON.parse(line) as Record<string, unknown>);
              return;
            } catch {
              // fall through: not one of ours
            }
          }
          deps.onStderr?.(config.name, line);
        });
      }
      const start = transport.start.bind(transport);
      transport.start = async () => {
        await start();
        pid = transport.pid;
      };
      if (transport instanceof StdioClientTransport) return createLegacyClient(transport);
      const client: UpstreamClient = createNegotiatingClient(transport);
      const connect = client.connect.bind(client);
      client.connect = async () => {
        try {
          await connect();
        } catch (err) {
          // The child did not survive the probe: the next start speaks the 2025 handshake only.
          if (isNegotiationFailure(err)) legacyOnly = true;
          throw err;
        }
      };
      return client;
    },
  });
  return Object.assign(upstream, { pid: () => pid });
}

export type StdioUpstream = McpUpstream & { pid(): number | null };
