import { IncomingMessage } from 'node:http';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { createValidationPipe } from './common/errors/validation';
import { REQUEST_ID_HEADER, requestIdFrom } from './common/logging/request-id';
import { serveOpenApi } from './openapi/openapi';

const HEALTH_PATHS = ['health', 'health/ready'];

/** The largest request body accepted; a call or a contact is a few hundred bytes. */
export const BODY_LIMIT_BYTES = 100 * 1024;

export function createHttpAdapter(): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify's request id is the one every log line of the request carries (pino-http takes it over):
    // the caller's X-Request-Id when it is a sensible one, else a new UUID. Never taken unchecked.
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => requestIdFrom(request.headers['x-request-id']),
  });
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  return adapter;
}

/** Everything about the app's set-up, shared by main.ts and anything else that boots the app. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  // The API speaks JSON only: any other body is refused with 415 rather than parsed as text.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  // Probes live at the root, where orchestrators and load balancers look for them.
  app.setGlobalPrefix('api', { exclude: HEALTH_PATHS });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(app.get(HttpAdapterHost)));
  serveOpenApi(app);
  app.enableShutdownHooks();
  return app;
}
