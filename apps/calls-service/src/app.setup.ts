import { IncomingMessage } from 'node:http';
import { ConfigService } from '@nestjs/config';
import { NestApplicationOptions } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyInstance } from 'fastify';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { createValidationPipe } from './common/errors/validation';
import { answerClientErrorInErrorShape } from './common/http/client-error';
import { enableCors } from './common/http/cors';
import { securityHeadersOf } from './common/http/security-headers';
import { acceptJsonBodiesOnly } from './common/http/json-body';
import { answerUnsupportedMethodsWith405 } from './common/http/method-not-allowed';
import { REQUEST_ID_HEADER, requestIdFrom } from './common/logging/request-id';
import { logRequests } from './common/logging/request-logging';
import { ROOT_LOGGER } from './logging/root-logger';
import { Environment } from './config/environment';
import { TrustProxy } from './config/trust-proxy';
import { serveOpenApi } from './openapi/openapi';
import { answerLivenessFromFastify } from './health/liveness';

const HEALTH_PATHS = ['health', 'health/ready'];

/** The largest request body accepted; a call or a contact is a few hundred bytes. */
export const BODY_LIMIT_BYTES = 100 * 1024;

/** NestFactory options: JSON bodies keep their raw bytes, which provider signatures cover. */
export const APP_OPTIONS: NestApplicationOptions = { rawBody: true };

/**
 * No route has a Fastify schema: requests are validated by class-validator (createValidationPipe) and
 * answers written by JSON.stringify. Fastify would still load its schema compilers, ajv and
 * fast-json-stringify (about 110 modules, 1 to 4 MB of an idle replica's RSS), only for them to sit idle;
 * these stand in for them, and stop the start should a route ever bring a schema.
 */
function noSchemaCompiler(kind: string): never {
  throw new Error(`A route has a Fastify ${kind} schema; this service validates with class-validator, and loads no schema compilers (createHttpAdapter)`);
}

/** @param trustProxy which proxies to believe about the client's address (TRUST_PROXY). */
export function createHttpAdapter(trustProxy: TrustProxy = false): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    schemaController: {
      compilersFactory: { buildValidator: () => noSchemaCompiler('validation'), buildSerializer: () => noSchemaCompiler('response') },
    },
    // A number of hops as Fastify reads one; Nest's types for the option leave numbers out.
    trustProxy: typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy,
    // Fastify's request id is the one every log line of the request carries (see logRequests):
    // the caller's X-Request-Id when it is a sensible one, else a new UUID. Never taken unchecked.
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => requestIdFrom(request.headers['x-request-id']),
    // While shutting down, a request that still arrives on an open keep-alive connection is served (and
    // its connection then closed) rather than refused with Fastify's own 503 body, which is not the one
    // error shape. New connections are refused either way: the listening socket is closed first.
    return503OnClosing: false,
    clientErrorHandler: answerClientErrorInErrorShape,
  });
  const fastify = adapter.getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  closeConnectionsWhenDrained(fastify);
  return adapter;
}

/**
 * On close, Fastify stops listening and closes the keep-alive connections that are idle at that
 * moment; a connection whose request is still in flight would stay open once answered, and hold the
 * shutdown until the client dropped it. Answering those with `Connection: close` ends them too.
 */
function closeConnectionsWhenDrained(fastify: FastifyInstance): void {
  let draining = false;
  fastify.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('Connection', 'close');
    done(null, payload);
  });
}

/** Everything about the app's set-up, shared by main.ts and anything else that boots the app. */
export async function configureApp(app: NestFastifyApplication): Promise<NestFastifyApplication> {
  const config = app.get(ConfigService<Environment, true>);
  logRequests(app.getHttpAdapter().getInstance(), app.get(ROOT_LOGGER));
  // The API speaks JSON only: any other body is refused with 415 rather than parsed as text or a form.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  acceptJsonBodiesOnly(app);
  answerUnsupportedMethodsWith405(app);
  answerLivenessFromFastify(app.getHttpAdapter().getInstance());
  // Helmet's defaults suit Swagger UI, whose scripts and styles are all served from here, except
  // upgrade-insecure-requests: where the service is reached over plain http (a laptop, or from inside
  // the cluster) it would send the browser to https for the UI's own files.
  // The headers are the same for every answer, so they are worked out once here and set in one go:
  // @fastify/helmet built helmet again, Content-Security-Policy parsing included, on every request
  // (bench/README.md, "What the profile showed").
  const securityHeaders = securityHeadersOf({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  app.getHttpAdapter().getInstance().addHook('onRequest', (_request, reply, done) => {
    reply.headers(securityHeaders);
    done();
  });
  enableCors(app, config.get('CORS_ORIGINS', { infer: true }));
  // Probes live at the root, where orchestrators and load balancers look for them.
  app.setGlobalPrefix('api', { exclude: HEALTH_PATHS });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(app.get(HttpAdapterHost)));
  serveOpenApi(app);
  return app;
}
