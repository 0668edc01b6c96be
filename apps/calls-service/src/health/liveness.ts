import { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { HealthResponseDto } from './dto/health-response.dto';

/** The liveness answer: the shape of @nestjs/terminus with no checks, which is all liveness runs. */
export const LIVENESS: Readonly<HealthResponseDto> = Object.freeze({ status: 'ok', info: {}, error: {}, details: {} });

const LIVENESS_URL = '/health';
const LIVENESS_JSON = JSON.stringify(LIVENESS);

const answerLiveness: RouteHandlerMethod = (_request, reply) => {
  reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(LIVENESS_JSON);
};

/**
 * `GET /health` (and its HEAD) answered by Fastify alone: probes come every few seconds from every
 * orchestrator and load balancer, and Nest's router, guards and pipes had nothing to do for them.
 * HealthController still declares the route, so that it is in the OpenAPI document and known to the
 * 405 answer; this swaps its handler as Fastify registers it. Fastify's own hooks (request id,
 * security headers, CORS, the log line) run as for every route. Call before the routes are registered.
 */
export function answerLivenessFromFastify(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (route.url === LIVENESS_URL && methods.every((method) => method === 'GET' || method === 'HEAD')) route.handler = answerLiveness;
  });
}
