// Progress for a tools/call (MCP "Progress", Streamable HTTP): when the caller sent
// `_meta.progressToken` and accepts text/event-stream, the upstream's progress notifications are
// relayed on an SSE response, under the caller's own token, and the JSON-RPC response (result or
// error) is the stream's last event. Without progress the answer stays one JSON body. A progress
// `message` is free text from the tool: it is dropped when DLP finds anything in it (P6; the
// numbers alone still tell the caller the call is alive).
import type { FastifyReply } from 'fastify';
import type { ToolProgress } from './types.ts';

export interface ProgressStream {
  /** True once the SSE response has started: the final message must go through `finish`. */
  readonly started: boolean;
  progress(p: ToolProgress): void;
  /** Writes the last event (a JSON-RPC response, or its serialised text) and ends the stream. */
  finish(message: Record<string, unknown> | string): void;
}

export function createProgressStream(opts: {
  reply: FastifyReply;
  requestId: string;
  token: string | number;
  /** True when the text holds something DLP would report (the message is then withheld). */
  sensitive: (text: string) => boolean;
}): ProgressStream {
  let started = false;
  const raw = opts.reply.raw;
  const event = (message: unknown) => {
    const data = typeof message === 'string' ? message : JSON.stringify(message);
    raw.write(`event: message\ndata: ${data}\n\n`);
  };
  return {
    get started() {
      return started;
    },
    progress(p) {
      if (raw.writableEnded || raw.destroyed) return;
      if (!started) {
        started = true;
        opts.reply.hijack();
        raw.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          'x-request-id': opts.requestId,
        });
      }
      const message =
        typeof p.message === 'string' && p.message.length <= 4096 && !opts.sensitive(p.message)
          ? p.message
          : undefined;
      event({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: {
          progressToken: opts.token,
          progress: p.progress,
          ...(typeof p.total === 'number' ? { total: p.total } : {}),
          ...(message !== undefined ? { message } : {}),
        },
      });
    },
    finish(message) {
      if (raw.writableEnded || raw.destroyed) return;
      event(message);
      raw.end();
    },
  };
}
