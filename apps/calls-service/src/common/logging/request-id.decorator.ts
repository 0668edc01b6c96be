import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

/**
 * The id of the request being handled (Fastify's, see createHttpAdapter), for the lines that the code it
 * calls logs through Nest's `Logger`: `logger.warn({ requestId }, 'text')`. Work done for no request
 * (the relay, the webhooks, purges a request only happens to set off) passes none.
 *
 * It is handed down by hand rather than kept in an AsyncLocalStorage: on Node 20 one switches on promise
 * hooks for the whole process, which cost every request about a tenth of its CPU (bench/README.md).
 */
export const RequestId = createParamDecorator((_data: unknown, context: ExecutionContext): string => context.switchToHttp().getRequest<FastifyRequest>().id);
