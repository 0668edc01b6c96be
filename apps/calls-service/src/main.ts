import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createHttpAdapter } from './app.setup';
import { Environment, validateEnvironment } from './config/environment';
import { DOCS_PATH } from './openapi/openapi';

async function bootstrap(): Promise<void> {
  // Checked here as well as by ConfigModule, so that a bad setting ends the process with the plain
  // message below rather than with Nest's start-up stack trace.
  validateEnvironment(process.env);
  const app = configureApp(await NestFactory.create<NestFastifyApplication>(AppModule, createHttpAdapter()));
  const config = app.get(ConfigService<Environment, true>);
  await app.listen(config.get('PORT', { infer: true }), config.get('HOST', { infer: true }));
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
  Logger.log(`Listening on ${url}; Swagger UI at ${url}/${DOCS_PATH}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // A configuration error is the common case here: say it plainly, without a stack trace.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
