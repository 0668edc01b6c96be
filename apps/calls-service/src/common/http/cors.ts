import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { REQUEST_ID_HEADER } from '../logging/request-id';

/**
 * Request headers a page of an allowed origin may send. Every header parameter openapi.yaml defines
 * must be here (cors.spec.ts checks), or the browser refuses the request before it is sent.
 */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  REQUEST_ID_HEADER,
  'Idempotency-Key',
  // The event stream's resume header (issue "Calls flow out"), allowed ahead of the stream.
  'Last-Event-ID',
  // A call's PATCH names the version it changes (the call's ETag).
  'If-Match',
];

/**
 * Response headers such a page may read. Every response header openapi.yaml defines must be here
 * (cors.spec.ts checks); so are those the service sets on every answer outside any one operation:
 * the request id and the rate limiter's counters.
 */
export const CORS_EXPOSED_HEADERS = [
  REQUEST_ID_HEADER,
  'Idempotent-Replayed',
  'ETag',
  'Content-Disposition',
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

/**
 * Lets the pages of the allowed origins (the web dialer's) call the API with a bearer token. Tokens
 * travel in a header, not in cookies, so no credentials mode is needed. Any other origin gets no CORS
 * headers at all, and its browser refuses to hand it the answer.
 */
export function enableCors(app: NestFastifyApplication, origins: string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.enableCors({
    // A function rather than the list: with a list, @fastify/cors still sends its other CORS headers to
    // origins that are not on it.
    origin: (origin: string | undefined, callback: (error: Error | null, allow: string | false) => void) =>
      callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });
}
