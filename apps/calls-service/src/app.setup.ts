import { NestApplicationOptions } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { createValidationPipe } from './common/errors/validation';
import { serveOpenApi } from './openapi/openapi';

/** The largest request body accepted; a call or a contact is a few hundred bytes. */
export const BODY_LIMIT_BYTES = 100 * 1024;

/** NestFactory options: JSON bodies keep their raw bytes, which provider signatures cover. */
export const APP_OPTIONS: NestApplicationOptions = { rawBody: true };

export function createHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES });
}

/** Everything about the app's set-up, shared by main.ts and anything else that boots the app. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  // The API speaks JSON only: any other body is refused with 415 rather than parsed as text.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  app.setGlobalPrefix('api');
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(app.get(HttpAdapterHost)));
  serveOpenApi(app);
  app.enableShutdownHooks();
  return app;
}
