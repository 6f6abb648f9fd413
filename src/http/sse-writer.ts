// Streams OpenAI-format chunks to the client as Server-Sent Events (HTML Living Standard §9.2).
// Every chunk passes the chunk hooks (inspect-out, account) before it is written. The terminating
// `data: [DONE]` is written only after the audit commit; a failure mid-stream becomes an error event
// and the stream ends without [DONE], so a client can tell a clean end from a broken one.
import type { Hmac } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { AirlockError, toAirlockError } from '../errors.ts';
import type { RequestContext } from './context.ts';
import { openAiErrorBody } from './envelope.ts';

export interface SseOptions {
  readonly commit: () => Promise<void>;
  readonly onFirstChunk: () => void;
  /** Chunks the gateway consumed for itself (an upstream usage report the client did not ask for). */
  readonly keepChunk: (chunk: Record<string, unknown>) => boolean;
  /** Keyed digest of exactly the events the client received. */
  readonly digest?: Pick<Hmac, 'update' | 'digest'>;
}

function write(reply: FastifyReply, text: string): Promise<void> | undefined {
  const raw = reply.raw;
  if (raw.write(text)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
}

export async function writeSse(
  reply: FastifyReply,
  ctx: RequestContext,
  chunks: AsyncIterable<Record<string, unknown>>,
  opts: SseOptions,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': ctx.requestId,
  });
  let first = true;
  try {
    for await (const chunk of chunks) {
      if (ctx.signal.aborted) break;
      for (const hook of ctx.chunkHooks) hook(chunk, ctx);
      if (first) {
        first = false;
        opts.onFirstChunk();
      }
      if (!opts.keepChunk(chunk)) continue;
      const event = `data: ${JSON.stringify(chunk)}\n\n`;
      opts.digest?.update(event);
      const pending = write(reply, event);
      if (pending) await pending;
    }
    if (ctx.signal.aborted) throw new AirlockError('client_closed');
    if (opts.digest) ctx.responseBodyHash = opts.digest.digest('hex');
    await opts.commit();
    raw.end('data: [DONE]\n\n');
  } catch (err) {
    const error = ctx.signal.aborted ? new AirlockError('client_closed') : toAirlockError(err);
    ctx.error ??= error;
    if (!raw.destroyed) {
      // Record first, so the entry exists before the client learns the stream has ended.
      await opts.commit().catch(() => {});
      raw.end(`data: ${JSON.stringify(openAiErrorBody(error))}\n\n`);
    }
  }
}
