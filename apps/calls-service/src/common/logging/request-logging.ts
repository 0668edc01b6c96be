import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { pathOf } from './request-id';

/** Probes come every few seconds from each orchestrator and load balancer. */
function levelOf(path: string, status: number): 'error' | 'info' | 'debug' {
  if (status >= 500) return 'error';
  return path.startsWith('/health') ? 'debug' : 'info';
}

/** Requests answered with a stream, which their client ends: for them a client that goes away is the normal end. */
const STREAMS = new WeakSet<object>();
const STREAM_STARTS = new WeakMap<object, number>();

/** Marks the request as answered with a long-lived stream (Server-Sent Events) that the client is expected to close. */
export function loggedAsStream(request: FastifyRequest): void {
  STREAMS.add(request);
  STREAM_STARTS.set(request, performance.now());
}

/** The one line logged per request: who asked what, how it ended and how long it took. */
function logRequest(logger: Logger, request: FastifyRequest, status: number, durationMs: number): void {
  const path = pathOf(request.url);
  const level = levelOf(path, status);
  if (!logger.isLevelEnabled(level)) return;
  // The exception filter logs an error itself, with its stack; this line only records the request.
  logger[level]({ requestId: request.id, method: request.method, path, status, durationMs }, `${request.method} ${path} ${status}`);
}

/**
 * One line per request, from Fastify's own hooks: no Express middleware layer and no per-request
 * child logger. The id is Fastify's, set from X-Request-Id (see createHttpAdapter); the lines that code
 * logs while handling the request carry it too (see RequestId).
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    logRequest(logger, request, reply.statusCode, Math.round(reply.elapsedTime));
    done();
  });
  // A client that goes away before its answer gets none; the line still records the request.
  fastify.addHook('onRequestAbort', (request, done) => {
    const path = pathOf(request.url);
    if (STREAMS.has(request)) {
      const durationMs = Math.round(performance.now() - (STREAM_STARTS.get(request) ?? performance.now()));
      logger.info({ requestId: request.id, method: request.method, path, status: 200, durationMs }, `${request.method} ${path} 200 (stream closed by the client)`);
      return done();
    }
    logger.error({ requestId: request.id, method: request.method, path, status: 499 }, `${request.method} ${path} 499 (aborted by the client)`);
    done();
  });
}
