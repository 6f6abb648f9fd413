// One upstream MCP server behind the official SDK client, whatever the transport: connect (the
// handshake negotiates the protocol revision with that server), list tools across pages, call with
// a deadline and cancellation, a concurrency cap, and supervision: when the connection drops the
// upstream reconnects with exponential backoff (a stdio child is restarted). Calls made while it is
// down fail at once with upstream_unavailable instead of queueing.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { AirlockError } from '../errors.ts';
import type { McpUpstream, UpstreamState, UpstreamTool } from './types.ts';
import { createLegacyClient, failureKind, type UpstreamClient } from './upstream-client.ts';

export type UpstreamEvent =
  | { readonly type: 'connected'; readonly server: string; readonly protocolVersion: string | null }
  | { readonly type: 'disconnected'; readonly server: string; readonly reason: string }
  | {
      readonly type: 'restarting';
      readonly server: string;
      readonly attempt: number;
      readonly delayMs: number;
    }
  | { readonly type: 'connect_failed'; readonly server: string; readonly reason: string };

export interface SdkUpstreamOptions {
  readonly name: string;
  readonly transport: 'stdio' | 'http';
  /** A fresh transport per (re)connection for the v1 SDK client: a stdio child is spawned when the
   *  client connects. */
  readonly makeTransport?: () => Promise<Transport>;
  /** Or a fresh client per (re)connection (HTTP upstreams: the v2 SDK, negotiating the revision). */
  readonly makeClient?: () => Promise<UpstreamClient>;
  readonly callTimeoutMs: number;
  readonly maxConcurrentCalls: number;
  readonly restart: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  readonly onEvent?: (e: UpstreamEvent) => void;
  /** Runs after each connection closes (stdio: clean up the child's private HOME). */
  readonly afterClose?: () => Promise<void>;
}

/** Maps SDK/transport failures to the catalogue; nothing upstream-internal reaches the client. */
function upstreamFailure(err: unknown, signal?: AbortSignal): AirlockError {
  if (err instanceof AirlockError) return err;
  if (signal?.aborted) return new AirlockError('client_closed', { cause: err });
  const kind = failureKind(err);
  if (kind === 'timeout') return new AirlockError('upstream_timeout', { cause: err });
  if (kind === 'closed')
    return new AirlockError('upstream_unavailable', { cause: err, detail: 'connection closed' });
  if (kind === 'rpc')
    return new AirlockError('upstream_error', {
      cause: err,
      detail: `upstream JSON-RPC error ${(err as { code: number }).code}`,
    });
  return new AirlockError('upstream_unavailable', { cause: err });
}

export function createSdkUpstream(opts: SdkUpstreamOptions): McpUpstream {
  let state: UpstreamState = 'stopped';
  let client: UpstreamClient | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  let attempt = 0;
  let readyAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight = 0;
  const listeners: (() => void)[] = [];
  const changed = () => {
    for (const l of listeners) l();
  };

  const scheduleRestart = () => {
    if (closed) return;
    // A server that stayed up longer than the backoff cap earned a fresh start.
    if (readyAt > 0 && performance.now() - readyAt > opts.restart.maxDelayMs) attempt = 0;
    attempt += 1;
    const delayMs = Math.min(opts.restart.maxDelayMs, opts.restart.initialDelayMs * 2 ** (attempt - 1));
    state = 'restarting';
    opts.onEvent?.({ type: 'restarting', server: opts.name, attempt, delayMs });
    clearTimeout(timer);
    timer = setTimeout(() => {
      connect().catch(() => {});
    }, delayMs);
    timer.unref();
  };

  const connect = (): Promise<void> => {
    if (connecting) return connecting;
    connecting = (async () => {
      state = state === 'stopped' ? 'starting' : state;
      let c: UpstreamClient | undefined;
      try {
        c = opts.makeClient ? await opts.makeClient() : createLegacyClient(await opts.makeTransport!());
        const self = c;
        let settled = false;
        c.onclose = () => {
          if (client === self) client = undefined;
          opts.afterClose?.().catch(() => {});
          if (!settled || closed) return;
          opts.onEvent?.({ type: 'disconnected', server: opts.name, reason: 'connection closed' });
          scheduleRestart();
        };
        await c.connect();
        settled = true;
        c.onToolsChanged(changed);
        client = c;
        state = 'ready';
        readyAt = performance.now();
        opts.onEvent?.({
          type: 'connected',
          server: opts.name,
          protocolVersion: c.protocolVersion(),
        });
        // The list may differ from before a restart: let the catalog re-read and re-check pins.
        if (attempt > 0) changed();
      } catch (err) {
        await c?.close().catch(() => {});
        opts.onEvent?.({ type: 'connect_failed', server: opts.name, reason: String((err as Error).message) });
        scheduleRestart();
        throw upstreamFailure(err);
      }
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const ready = (): UpstreamClient => {
    if (client && state === 'ready') return client;
    throw new AirlockError('upstream_unavailable', { detail: `mcp server ${opts.name} is ${state}` });
  };

  return {
    name: opts.name,
    transport: opts.transport,
    state: () => state,
    async start() {
      closed = false;
      attempt = 0;
      await connect();
    },
    async listTools(signal) {
      const c = ready();
      const tools: UpstreamTool[] = [];
      let cursor: string | undefined;
      try {
        for (let page = 0; page < 100; page++) {
          const res = await c.listTools(cursor, { signal, timeout: opts.callTimeoutMs });
          tools.push(...res.tools);
          cursor = res.nextCursor;
          if (!cursor) break;
        }
      } catch (err) {
        throw upstreamFailure(err, signal);
      }
      return tools;
    },
    async callTool(tool, args, signal, onProgress) {
      const c = ready();
      if (inFlight >= opts.maxConcurrentCalls)
        throw new AirlockError('gateway_overloaded', {
          detail: `mcp server ${opts.name}: ${inFlight} calls in flight`,
          retryAfter: 1,
        });
      inFlight += 1;
      try {
        return await c.callTool(tool, args, {
          signal,
          timeout: opts.callTimeoutMs,
          ...(onProgress ? { onprogress: onProgress } : {}),
        });
      } catch (err) {
        throw upstreamFailure(err, signal);
      } finally {
        inFlight -= 1;
      }
    },
    offers() {
      const caps = client && state === 'ready' ? client.capabilities() : undefined;
      return { prompts: caps?.prompts !== undefined, resources: caps?.resources !== undefined };
    },
    async content(method, params, signal) {
      const c = ready();
      if (inFlight >= opts.maxConcurrentCalls)
        throw new AirlockError('gateway_overloaded', {
          detail: `mcp server ${opts.name}: ${inFlight} calls in flight`,
          retryAfter: 1,
        });
      inFlight += 1;
      try {
        return await c.content(method, params, { signal, timeout: opts.callTimeoutMs });
      } catch (err) {
        throw upstreamFailure(err, signal);
      } finally {
        inFlight -= 1;
      }
    },
    onToolsChanged(listener) {
      listeners.push(listener);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      state = 'stopped';
      const c = client;
      client = undefined;
      if (connecting) await connecting.catch(() => {});
      await (c ?? client)?.close().catch(() => {});
    },
  };
}
