// One Fastify instance per listener (client surface, admin surface), each with its own address,
// TLS 1.3 settings and optional client-certificate verification. receive-stage limits live here:
// body and header size, time to receive the request, and malformed input mapped to stable codes.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { durationMs } from '../config/duration.ts';
import type { AirlockConfig, ListenerConfig } from '../config/schema.ts';
import { AirlockError, type ErrorCode } from '../errors.ts';
import { adminErrorBody, openAiErrorBody } from './envelope.ts';

export interface Listener {
  readonly app: FastifyInstance;
  listen(): Promise<string>;
  close(): Promise<void>;
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
};

/** Maps errors raised before a route runs (parser, limits) to the catalogue. */
export function edgeError(err: FastifyError | Error): AirlockError {
  if (err instanceof AirlockError) return err;
  const code = (err as FastifyError).code;
  if (code && FASTIFY_CODES[code]) return new AirlockError(FASTIFY_CODES[code]);
  if (err instanceof SyntaxError) return new AirlockError('invalid_json');
  if ((err as FastifyError).statusCode === 400) return new AirlockError('invalid_request');
  return new AirlockError('internal_error', { cause: err });
}

export function buildListener(config: ListenerConfig, limits: AirlockConfig['limits']): Listener {
  const tls = config.tls
    ? {
        cert: readFileSync(config.tls.cert),
        key: readFileSync(config.tls.key),
        minVersion: 'TLSv1.3' as const,
        ...(config.tls.clientCa
          ? {
              ca: readFileSync(config.tls.clientCa),
              requestCert: true,
              rejectUnauthorized: config.tls.requireClientCert,
            }
          : {}),
        maxHeaderSize: limits.headerBytes,
      }
    : undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: limits.bodyBytes,
    requestTimeout: durationMs(limits.requestTimeout),
    connectionTimeout: 0,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ...(tls ? { https: tls } : { http: { maxHeaderSize: limits.headerBytes } }),
  }) as unknown as FastifyInstance;

  // JSON only: a text/plain body is refused with 415 instead of reaching a schema as a string.
  app.removeContentTypeParser('text/plain');

  const envelope = (url: string, err: AirlockError, requestId: string) =>
    url.startsWith('/admin/') || url.startsWith('/api/')
      ? adminErrorBody(err, requestId)
      : openAiErrorBody(err);

  app.setErrorHandler((err, request, reply) => {
    const e = edgeError(err as Error);
    reply.code(e.status).send(envelope(request.url, e, String(request.id)));
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new AirlockError('not_found');
    reply.code(404).send(envelope(request.url, e, String(request.id)));
  });

  const scheme = tls ? 'https' : 'http';
  return {
    app,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const addr = app.server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return `${scheme}://${host}:${addr.port}`;
    },
    async close() {
      // Drain: stop accepting, let in-flight requests finish, and close each keep-alive connection
      // as soon as it falls idle (a one-shot closeIdleConnections would miss those busy right now).
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
    },
  };
}
